-- Results of m0ld Codes called from every place where Lua cannot yield
-- (a table.sort comparator, __lt reached from table.sort, a string.gsub
-- callback, __tostring reached from string.format, __index reached from
-- table.concat, __gc), by both return protocols: falling off the end
-- (apply.m0ld) and the explicit setr + goto back (apply_explicit.m0ld).
-- Both must answer the Code's result, not nil.
-- expect-stdout:
-- | implicit sort: 1 2 3 5 8
-- | implicit __lt: 1 2 3
-- | implicit gsub: HELLO
-- | implicit format: <T:42>
-- | implicit concat: a,b,c
-- | implicit gc: 7
-- | explicit sort: 1 2 3 5 8
-- | explicit __lt: 1 2 3
-- | explicit gsub: HELLO
-- | explicit format: <T:42>
-- | explicit concat: a,b,c
-- | explicit gc: 7
local dir = arg[0]:match("^(.*)/") or "."
for _, kind in ipairs({ "implicit", "explicit" }) do
  local lib = kind == "implicit" and "/lib/apply.m0ld" or "/lib/apply_explicit.m0ld"
  local apply = smop.load(dir .. lib)
  local function call(f, x) return apply(f, x) end

  local t = { 5, 3, 8, 1, 2 }
  table.sort(t, function(a, b) return call(function(p) return p[1] < p[2] end, { a, b }) end)
  print(kind .. " sort: " .. table.concat(t, " "))

  local mt = {}
  mt.__lt = function(a, b) return call(function() return a.v < b.v end, 0) end
  local objs = { setmetatable({ v = 3 }, mt), setmetatable({ v = 1 }, mt), setmetatable({ v = 2 }, mt) }
  table.sort(objs)
  print(kind .. " __lt: " .. objs[1].v .. " " .. objs[2].v .. " " .. objs[3].v)

  local s = ("hello"):gsub("%a", function(c) return call(string.upper, c) end)
  print(kind .. " gsub: " .. s)

  local tagged = setmetatable({ n = 42 }, { __tostring = function(self)
    return call(function(n) return "<T:" .. n .. ">" end, self.n)
  end })
  print(string.format(kind .. " format: %s", tagged))

  local lazy = setmetatable({}, { __index = function(_, i)
    return call(function(k) return ({ "a", "b", "c" })[k] end, i)
  end })
  print(kind .. " concat: " .. table.concat(lazy, ",", 1, 3))

  local got
  do
    setmetatable({}, { __gc = function() got = call(function(x) return x + 4 end, 3) end })
  end
  collectgarbage()
  collectgarbage()
  print(kind .. " gc: " .. tostring(got))
end
