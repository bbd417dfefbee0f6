-- Handlers that cross interpreters, and delivery at awkward places: a Lua
-- handler calls m0ld; an m0ld handler calls Lua; an interrupt raised by
-- m0ld code that Lua waits on runs its handler while Lua waits; one raised
-- inside a user coroutine runs its handler there, and the coroutine's
-- yields and values are untouched.
-- expect-stdout:
-- | lua handler got 42 from m0ld
-- | m0ld handler called lua with payload from-lua
-- | while lua waits on m0ld: handled (m0ld result 5)
-- | coroutine yielded 1 2 3, handled 3
-- | done
local double = smop.eval([[
  my $interpreter;
  my $scope;
  my $Code = $scope."lookup"("Code");
  $Code = $Code."FETCH"();
  my $body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $x = $capture."positional"(0);
    my $r = $x."infix:*"(2);
  };
  my $c = $Code."new"(:"outer"($scope), :"mold"($body));
]])
polyeval.on_interrupt("ask", function(_, p)
  print("lua handler got " .. double(p) .. " from m0ld")
end)
polyeval.raise("ask", 21)

function report(p)
  print("m0ld handler called lua with payload " .. p)
end
smop.eval([[
  my $interpreter;
  my $scope;
  my $Code = $scope."lookup"("Code");
  $Code = $Code."FETCH"();
  my $Lua = $scope."lookup"("Lua");
  $Lua = $Lua."FETCH"();
  my $body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $Lua = $scope."lookup"("Lua");
    $Lua = $Lua."FETCH"();
    my $report = $Lua."global"("report");
    my $p = $capture."positional"(1);
    $report."postcircumfix:( )"($p);
  };
  my $h = $Code."new"(:"outer"($scope), :"mold"($body));
  $interpreter."on_interrupt"("m0ld-kind", $h);
]])
polyeval.raise("m0ld-kind", "from-lua")

local handled = false
polyeval.on_interrupt("meanwhile", function() handled = true end)
local r = smop.eval([[
  my $interpreter;
  $interpreter."raise"("meanwhile");
  my $x = 2;
  $x = $x."infix:+"(3);
]])
print("while lua waits on m0ld: " .. (handled and "handled" or "not handled") .. " (m0ld result " .. r .. ")")

local count = 0
polyeval.on_interrupt("inco", function() count = count + 1 end)
local co = coroutine.wrap(function()
  for i = 1, 3 do
    polyeval.raise("inco", i)
    coroutine.yield(i)
  end
end)
local a, b, c = co(), co(), co()
print("coroutine yielded " .. a .. " " .. b .. " " .. c .. ", handled " .. count)
print("done")
