-- Warnings: Lua's warn() and m0ld's $interpreter."warn" raise the
-- `warning` interrupt. By default it prints `warning: MSG (FILE:LINE)` on
-- stderr and the program goes on; "@off" and "@on" switch Lua's warn; a
-- handler replaces the default (it gets the message, file and line).
--   polyeval run examples/interrupts/warnings.lua
warn("disk ", "almost full")
warn("@off")
warn("not shown")
warn("@on")
smop.eval([[
  my $interpreter;
  $interpreter."warn"("from m0ld");
]])
local seen = {}
polyeval.on_interrupt("warning", function(kind, msg, file, line)
  seen[#seen + 1] = string.format("%s at line %d", msg, line)
end)
warn("collected")
polyeval.on_interrupt("warning", nil)
print("handled by the program: " .. table.concat(seen, "; "))
