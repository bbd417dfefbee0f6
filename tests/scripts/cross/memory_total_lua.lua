-- With --memory-limit (the whole heap), Lua running out is Lua's own
-- "not enough memory" error, which pcall catches; a string copied into
-- SMOP past the limit, and an m0ld `infix:~` past it, are errors Lua
-- catches too; strings cross both ways many times while there is room.
-- memory-limit: 64000000
-- expect-stdout:
-- | string: not enough memory
-- | table: not enough memory
-- | copy: out of memory: the memory limit (64000000 bytes) is reached
-- | kept 0 after the copy failed
-- | join: out of memory: the memory limit (64000000 bytes) is reached
-- | crossed 2000 times, 2000 bytes
-- | done
-- Messages from SMOP carry the position of the call; keep what follows.
local function oom(e)
  return (tostring(e):gsub("^.-out of memory", "out of memory"))
end
local ok, err = pcall(function()
  local s = "x"
  while true do s = s .. s end
end)
print("string: " .. tostring(err))
ok, err = pcall(function()
  local t = {}
  for i = 1, 1e9 do t[i] = ("x"):rep(1000) end
end)
print("table: " .. tostring(err))
collectgarbage()
local arr = smop.lookup("Array"):new()
ok, err = pcall(function()
  -- Building the 16 MB string fits; four Rust copies of it (64 MB) do
  -- not, whatever else the process holds.
  local s = ("x"):rep(8000000)
  s = s .. s
  arr:push(s, s, s, s)
end)
print("copy: " .. oom(err))
print("kept " .. arr:elems() .. " after the copy failed")
collectgarbage()
local join = smop.eval([[
my $interpreter;
my $scope;
my $Code = $scope."lookup"("Code");
$Code = $Code."FETCH"();
my $body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $a = $capture."positional"(0);
    my $b = $capture."positional"(1);
    my $r = $a."infix:~"($b);
};
my $join = $Code."new"(:"outer"($scope), :"mold"($body));
]])
ok, err = pcall(function()
  local s = "x"
  while true do s = join(s, s) end
end)
print("join: " .. oom(err))
collectgarbage()
local s = ""
for i = 1, 2000 do
  s = join(s, "y")
  arr:push(s)
end
print("crossed " .. arr:elems() .. " times, " .. #s .. " bytes")
print("done")
