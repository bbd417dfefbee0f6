-- Errors raised by the functions polyeval gives Lua keep their own
-- message and arrive as stock Lua gives them: strings with the caller's
-- position, not mlua userdata; error values that are not strings arrive
-- unchanged, also after crossing m0ld (apply.m0ld calls its argument).
-- expect-stdout:
-- | 1write table: string	error_messages.lua:24: bad argument #1 to 'write' (string expected, got table)
-- | write boolean: string	error_messages.lua:25: bad argument #2 to 'write' (string expected, got boolean)
-- | first kept: string	error_messages.lua:24: bad argument #1 to 'write' (string expected, got table)
-- | direct: false	string	error_messages.lua:29: bad argument #1 to 'write' (string expected, got nil)
-- | tostring error value: true	true
-- | tostring error string: false	error_messages.lua:36: no Str here
-- | stale: false	true
-- | write returns: true
local dir = arg[0]:match("^(.*)/") or "."
local apply = smop.load(dir .. "/lib/apply.m0ld")
local function short(e)
  if type(e) ~= "string" then return e end
  return (e:gsub("^.*/", ""))
end
local function through(f)
  local ok, e = pcall(apply, f)
  return ok, e
end
local _, e1 = through(function() io.write({}) end)
local _, e2 = through(function() io.write(1, true) end)
print("write table: " .. type(e1) .. "\t" .. short(e1))
print("write boolean: " .. type(e2) .. "\t" .. short(e2))
print("first kept: " .. type(e1) .. "\t" .. short(e1))
local ok, e3 = pcall(function() io.write(nil) end)
print("direct: " .. tostring(ok) .. "\t" .. type(e3) .. "\t" .. short(e3))

local token = {}
local bad = setmetatable({}, { __tostring = function() error(token) end })
local okp, ep = through(function() print(bad) end)
print("tostring error value: " .. tostring(not okp) .. "\t" .. tostring(ep == token))
local bad2 = setmetatable({}, { __tostring = function() error("no Str here") end })
local oks, es = pcall(print, bad2)
print("tostring error string: " .. tostring(oks) .. "\t" .. short(es))

local k = smop.eval([[
my $interpreter;
my $scope;
my $Code = $scope."lookup"("Code");
$Code = $Code."FETCH"();
my $body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $k = $interpreter."continuation"();
};
my $c = $Code."new"(:"outer"($scope), :"mold"($body));
my $k = $c."postcircumfix:( )"();
]])
local okst, est = pcall(print, k)
print("stale: " .. tostring(okst) .. "\t" .. tostring(type(est) == "string" and est:find("stale", 1, true) ~= nil))
print("write returns: " .. tostring(io.write("") == io.stdout))
