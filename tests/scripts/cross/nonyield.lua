-- Calls into SMOP from places where Lua cannot yield: a table.sort
-- comparator, __lt reached from table.sort, a string.gsub callback,
-- __tostring reached from string.format, __index reached from
-- table.concat, and __gc. They wait in a nested run loop; past its depth
-- cap the call fails with a Lua error that names the reason.
-- expect-stdout:
-- | sort: 1 2 3 5 8
-- | __lt: 1 2 3
-- | gsub: HELLO
-- | format: <T:42>
-- | concat: a,b,c
-- | gc: from m0ld via __gc
-- | deep 10: 10
-- | depth cap: false true
-- | still works: 3
-- | done
local dir = arg[0]:match("^(.*)/") or "."
local apply = smop.load(dir .. "/lib/apply.m0ld")
local function via_m0ld(f, x) return apply(f, x) end

local t = { 5, 3, 8, 1, 2 }
table.sort(t, function(a, b) return via_m0ld(function(p) return p[1] < p[2] end, { a, b }) end)
print("sort: " .. table.concat(t, " "))

local mt = {}
mt.__lt = function(a, b) return via_m0ld(function() return a.v < b.v end) end
local objs = { setmetatable({ v = 3 }, mt), setmetatable({ v = 1 }, mt), setmetatable({ v = 2 }, mt) }
table.sort(objs)
print("__lt: " .. objs[1].v .. " " .. objs[2].v .. " " .. objs[3].v)

local s = ("hello"):gsub("%a", function(c) return via_m0ld(string.upper, c) end)
print("gsub: " .. s)

local tagged = setmetatable({ n = 42 }, { __tostring = function(self)
  return via_m0ld(function(n) return "<T:" .. n .. ">" end, self.n)
end })
print(string.format("format: %s", tagged))

local lazy = setmetatable({}, { __index = function(_, i)
  return via_m0ld(function(k) return ({ "a", "b", "c" })[k] end, i)
end, __len = function() return 3 end })
print("concat: " .. table.concat(lazy, ",", 1, 3))

local gc_said
do
  setmetatable({}, { __gc = function()
    gc_said = via_m0ld(function() return "from m0ld via __gc" end)
  end })
end
collectgarbage()
collectgarbage()
print("gc: " .. tostring(gc_said))

-- Each level sorts inside a call that went through m0ld: nested loops pile up.
local function deep(n)
  if n == 0 then return 0 end
  local r
  table.sort({ 2, 1 }, function(a, b)
    r = r or via_m0ld(function() return deep(n - 1) end)
    return a < b
  end)
  return r + 1
end
print("deep 10: " .. deep(10))
local ok, err = pcall(deep, 1000)
print("depth cap: " .. tostring(ok) .. " " .. tostring(err:find("nested run loop depth limit", 1, true) ~= nil))
print("still works: " .. via_m0ld(function(x) return x + 1 end, 2))
print("done")
