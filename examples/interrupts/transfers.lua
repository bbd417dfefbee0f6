-- Money moves between two accounts; a `probe` handler checks at every
-- interruption that none was lost. Each transfer logs through m0ld between
-- its two halves (a hand-off, where an interrupt can land), so it runs
-- inside polyeval.without_interrupts. Prove the handler transparent:
--   polyeval verify-interrupts examples/interrupts/transfers.lua
-- and see it catch the race when the transfers are not protected:
--   polyeval verify-interrupts examples/interrupts/transfers.lua unsafe
local protected = arg[1] ~= "unsafe"
local a, b = 60, 40

polyeval.on_interrupt("probe", function()
  if a + b ~= 100 then
    error(string.format("money lost: %d + %d", a, b))
  end
end)

-- An m0ld Code that keeps a running count of transfers.
local log = smop.eval([[
  my $interpreter;
  my $scope;
  my $Code = $scope."lookup"("Code");
  $Code = $Code."FETCH"();
  my $entry = $scope."postcircumfix:{ }"("$count");
  $entry."STORE"(0);
  my $body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $count = $scope."lookup"("$count");
    my $n = $count."FETCH"();
    $n = $n."infix:+"(1);
    $count."STORE"($n);
  };
  my $c = $Code."new"(:"outer"($scope), :"mold"($body));
]])

local function transfer(amount)
  a = a - amount
  log(amount)
  b = b + amount
end

local n
for i = 1, 50 do
  local amount = (i * 7) % 13 - 6
  if protected then
    polyeval.without_interrupts(transfer, amount)
  else
    transfer(amount)
  end
  n = i
end
print(string.format("%d transfers: a = %d, b = %d", n, a, b))
