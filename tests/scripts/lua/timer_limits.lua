-- Huge and invalid delays: a finite delay too long for the clock (2^63
-- seconds, 1e308) is clamped to 100 years instead of panicking; negative
-- numbers, NaN and infinities are argument errors that say so; the same
-- for m0ld's timer and sleep. (bridge/tests/signals.rs ends a sleep of
-- 2^63 seconds with a signal.)
-- expect-stdout:
-- | timer 2^63: Timer
-- | timer 1e308: Timer
-- | repeat 2^63: Timer
-- | negative:	false	timer's delay must be a finite, non-negative number of seconds, got -1
-- | nan:	false	true
-- | inf:	false	sleep's duration must be a finite, non-negative number of seconds, got inf
-- | m0ld timer: Timer
-- | m0ld sleep:	false	true
local function msg(ok, e) return ok, (tostring(e):gsub("^.-: ", "", 1)) end
local t1 = polyeval.timer(2 ^ 63, "never")
print("timer 2^63: " .. tostring(t1):match("^%a+"))
local t2 = polyeval.timer(1e308, "never")
print("timer 1e308: " .. tostring(t2):match("^%a+"))
local t3 = polyeval.timer(1, "never", nil, 2 ^ 63)
print("repeat 2^63: " .. tostring(t3):match("^%a+"))
t1:cancel(); t2:cancel(); t3:cancel()
print("negative:", msg(pcall(polyeval.timer, -1, "never")))
local ok, e = pcall(polyeval.timer, 0 / 0, "never")
print("nan:", ok, tostring(e):find("must be a finite, non-negative number", 1, true) ~= nil)
print("inf:", msg(pcall(polyeval.sleep, 1 / 0)))

local m = smop.eval([[
my $interpreter;
my $scope;
my $t = $interpreter."timer"(1e300, "never");
my $s = $t."Str"();
$t."cancel"();
$s = $s;
]])
print("m0ld timer: " .. tostring(m):match("^%a+"))
ok, e = pcall(smop.eval, [[
my $interpreter;
my $scope;
$interpreter."sleep"(-5);
]])
print("m0ld sleep:", ok, tostring(e):find("must be a finite, non-negative number", 1, true) ~= nil)

