-- A module that is not found gets stock Lua's message: every searcher's
-- "no file" lines, the C searchers' too, although C modules cannot load
-- outside --lua-stdlib all. Expected output from stock `lua` 5.4.8.
-- expect-stdout:
-- | module 'no_such_module' not found:
-- | 	no field package.preload['no_such_module']
-- | 	no file './no_such_module.lua'
-- | 	no file '/nowhere/no_such_module/init.lua'
-- | 	no file './no_such_module.so'
-- | 	no file '/nowhere/no_such_module.so'
-- | module 'no_such.sub' not found:
-- | 	no field package.preload['no_such.sub']
-- | 	no file './no_such/sub.lua'
-- | 	no file '/nowhere/no_such/sub/init.lua'
-- | 	no file './no_such/sub.so'
-- | 	no file '/nowhere/no_such/sub.so'
-- | 	no file './no_such.so'
-- | 	no file '/nowhere/no_such.so'
-- | module 'no_such_module' not found:
-- | 	no field package.preload['no_such_module']
-- | 	no file './no_such_module.lua'
-- | 	no file '/nowhere/no_such_module/init.lua'
-- | 	no file '42'
package.path = "./?.lua;/nowhere/?/init.lua"
package.cpath = "./?.so;/nowhere/?.so"
print(select(2, pcall(require, "no_such_module")))
print(select(2, pcall(require, "no_such.sub")))
package.cpath = 42
print(select(2, pcall(require, "no_such_module")))
