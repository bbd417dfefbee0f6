-- The language registry from Lua: `polyeval.lang(name)` answers a
-- registered language by name or alias, whose `eval` runs source and
-- answers its result, `load` answers a function any language can call,
-- and `check` compiles without running. Each call that runs code is a
-- hand-off through the run loop, so the languages nest without a native
-- stack between them.
-- expect-stdout:
-- | m0ld	m0ld
-- | lua	lua
-- | hi from m0ld
-- | 42	42
-- | check ok	true
-- | bad m0ld	false	true
-- | bad lua	false	true
-- | unknown	false	no language named 'cobol'
-- | nested	3
local names = " " .. polyeval.languages() .. " "
assert(names:find(" m0ld ") and names:find(" lua "), names)
local m = polyeval.lang("smop")
print(m:name(), tostring(polyeval.lang("m0ld")))
local lua = polyeval.lang("lua")
print(lua:name(), tostring(lua))
m:eval([[my $interpreter; my $scope; my $out = $scope."lookup"("$OUT");
$out = $out."FETCH"(); $out."say"("hi from m0ld");]])
local f = lua:load("return 1 + ...", "=adder")
print(f(41), lua:eval("return ... * 2", "=doubler", 21))
print("check ok", m:check('my $x = 1;'))
local ok, e = pcall(m.check, m, "my $x = ;", "bad.m0ld")
print("bad m0ld", ok, tostring(e):find("bad.m0ld:1:", 1, true) ~= nil)
ok, e = pcall(lua.check, lua, "return +", "bad.lua")
print("bad lua", ok, tostring(e):find("bad.lua:1:", 1, true) ~= nil)
ok, e = pcall(polyeval.lang, "cobol")
print("unknown", ok, (tostring(e):match("no language named 'cobol'")))
-- Lua evaluates m0ld that evaluates Lua.
local depth = m:eval([[my $interpreter; my $lua = $interpreter."lang"("lua");
my $r = $lua."eval"("return 1 + polyeval.lang('lua'):eval('return 2')");]])
print("nested", depth)
