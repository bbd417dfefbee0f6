-- load: strings and reader functions, chunk names, modes, custom environments,
-- _ENV as a local and an upvalue, syntax errors, results and varargs of chunks.
-- Binary chunks load only with --lua-stdlib all (see binary_chunks.lua).
-- lua-stdlib: all
-- expect-stdout:
-- | function	3	10	nil	30
-- | 2	y	x
-- | nil	0	0
-- | reader!	6
-- | true
-- | false	custom:1: e1
-- | false	virtual/file.lua:3: e2
-- | false	[string "error('e3')"]:1: e3
-- | false	(named):1: attempt to index a nil value (local 'x')
-- | false	[string "a fairly long chunk name that will be shorten..."]:1: e4
-- | nil	[string "x = = 1"]:1: unexpected symbol near '='
-- | nil	cfg:1: <name> expected near <eof>
-- | nil	s:1: unfinished string near <eof>
-- | nil	s:1: unexpected symbol near <eof>
-- | nil	s:1: no visible label 'nowhere' for <goto> at line 1
-- | nil	s:1: attempt to assign to const variable 'x'
-- | nil	s:1: break outside loop at line 1
-- | nil	load_env.lua:72: reader failed
-- | nil	attempt to load a binary chunk (mode is 't')
-- | nil	attempt to load a text chunk (mode is 'b')
-- | 42	5	8
-- | nil	false
-- | 42	2	nil	nil
-- | false	noprint:1: attempt to call a nil value (global 'print')
-- | from local env	nil
-- | set in local env	set in local env
-- | nil
-- | 2	3
-- | 101
-- | no	function
-- | no	nil
-- | true	nil	reader function must return a string
-- | true	nil	reader function must return a string
-- | done

local function norm(m) return (tostring(m):gsub("[^%s:<>'\"]*[/\\]([%w_]+%.lua)", "%1")) end

-- a chunk is a vararg function; it can return values
local f = load("return 1 + 2, ...")
print(type(f), f(10, nil, 30))
print(select("#", load("return ...")(nil, nil)), load("local a, b = ...; return b, a")("x", "y"))
print(load("return")(), select("#", load("return")()), select("#", load("x = 1")()))

-- a reader function is called until it returns nil or ""
local pieces = {"return ", "'rea", "der'", " .. ", "'!'"}
local i = 0
f = load(function() i = i + 1; return pieces[i] end)
print(f(), i)
print(load(function() return nil end)() == nil)

-- chunk names appear in error positions
print(pcall(load("error('e1')", "=custom")))
print(pcall(load("\n\nerror('e2')", "@virtual/file.lua")))
print(pcall(load("error('e3')")))
print(pcall(load("local x = nil; return x.y", "=(named)")))
print(pcall(load("error('e4')", "a fairly long chunk name that will be shortened by lua")))

-- syntax errors: load returns nil plus a message
print(load("x = = 1"))
print(load("for", "=cfg"))
print(load("return 'unfinished", "=s"))
print(load("x = 1 +", "=s"))
print(load("goto nowhere", "=s"))
print(load("local x <const> = 1; x = 2", "=s"))
print(load("break", "=s"))
-- (inside pcall, so that no outer message handler touches the message)
local _, nf, msg = pcall(load, function() error("reader failed") end)
print(nf, norm(msg))

-- modes: text only, binary only
local dumped = string.dump(function(a) return a * 2 end)
print(load(dumped, "bin", "t"))
print(load("return 1", "txt", "b"))
print(load(dumped, "bin", "b")(21), load("return 5", "txt", "t")(), load(dumped)(4))

-- a custom environment as the 4th argument: globals go there, not to _G
local env = {tostring = tostring}
f = load("newglobal = 42; counter = (counter or 0) + 1; return tostring(print)", "envchunk", "t", env)
print(f(), f == nil)
f()
print(env.newglobal, env.counter, newglobal, rawget(_G, "counter"))
print(pcall(load("print('x')", "=noprint", "t", {})))

-- _ENV as a local: redirects global access in its scope
do
  local _ENV = {print = print, x = "from local env"}
  print(x, y)
  y = "set in local env"
  print(y, _ENV.y)
end
print(y)

-- _ENV as an upvalue shared by closures; changing it changes what globals mean
local function make()
  local _ENV = {value = 1}
  return function() value = value + 1; return value end, function(e) _ENV = e end
end
local bump, setenv = make()
print(bump(), bump())
setenv({value = 100})
print(bump())

-- a loaded chunk's only upvalue is _ENV; replacing the global env table for it
local fenv = setmetatable({}, {__index = _G})
f = load("leak = 'no'; return leak, type(print)", "=c", "t", fenv)
print(f())
print(rawget(fenv, "leak"), rawget(_G, "leak"))

-- a reader returning a non-string piece makes load fail
print(pcall(load, function() return {} end))
local calls = 0
print(pcall(load, function() calls = calls + 1; if calls == 1 then return "return 7" end return true end))
print("done")
