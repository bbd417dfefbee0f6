-- The count hook makes a pure Lua loop give the run loop its turn, so the
-- step budget (--max-steps) stops an endless loop with a backtrace.
-- max-steps: 3000
-- expect-exit: 1
-- expect-stdout:
-- | started
-- expect-stderr: error: step budget exceeded: stopped after 3000 steps
-- expect-stderr: budget.lua:1
-- expect-stderr: in main chunk
print("started")
local i = 0
while true do
  i = i + 1
end
