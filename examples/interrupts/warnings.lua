-- Warnings. Lua's warn() is stock Lua's: off until "@on" (or the
-- `lua`-style command line's -W), then printed as `Lua warning: MSG` on
-- stderr. m0ld's $interpreter."warn" raises the `warning` interrupt,
-- printed as `warning: MSG (FILE:LINE)` by default. A `warning` handler
-- gets every warning of both, with the message, file and line.
--   polyeval run examples/interrupts/warnings.lua
warn("not shown: warnings start off")
warn("@on")
warn("disk ", "almost full")
warn("@off")
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
