-- A probe handler that is NOT transparent: it changes a variable the
-- program prints. verify-interrupts must catch it.
local probes = 0
polyeval.on_interrupt("probe", function() probes = probes + 1 end)
local s = 0
for i = 1, 3000 do
  s = s + i
end
print("sum " .. s)
print("probes seen " .. probes)
