-- Lua calls an m0ld Code many times (two hand-offs each): a long run for
-- the diagram's compression. The count comes as the first argument.
local n = tonumber(arg[1]) or 1000
local id = smop.eval([[
  my $interpreter;
  my $scope;
  my $Code = $scope."lookup"("Code");
  $Code = $Code."FETCH"();
  my $body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $x = $capture."positional"(0);
    $x = $x."infix:+"(1);
  };
  my $c = $Code."new"(:"outer"($scope), :"mold"($body));
]])
local s = 0
for i = 1, n do
  s = id(s)
end
print(s)
