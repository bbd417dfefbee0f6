-- `smop.load`, `smop.eval` and `smop.lookup` are C functions: an error
-- they raise gets the caller's position, as a stock C function's does,
-- whether the call is a tail call or not. An error inside the m0ld code
-- keeps its own position.
-- expect-stdout:
-- | tail call:	false	true
-- | plain call:	false	true
-- | tail eval:	false	true
-- | inside m0ld:	false	<smop.eval>:1:29: unknown method "nosuch" for Int
local function tail() return smop.lookup(1) end
local function plain() local v = smop.lookup(1) return v end
local function tail_eval() return smop.eval("my $x = ;") end
local function inside() return smop.eval('my $interpreter; my $x = 1; $x."nosuch"();') end
local here = "smop_positions%.lua:%d+: "
for _, case in ipairs({ { "tail call", tail }, { "plain call", plain }, { "tail eval", tail_eval } }) do
  local ok, e = pcall(case[2])
  print(case[1] .. ":", ok, tostring(e):find(here) ~= nil)
end
print("inside m0ld:", pcall(inside))
