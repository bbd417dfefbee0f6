-- stdout is one stream, as C stdio's is under the stand-alone lua: print,
-- io.write, io.stdout:write and io.output():write keep program order (with
-- m0ld's $OUT too); io.write follows io.output(); write answers its file.
-- expect-stdout:
-- | print 1
-- | io.write 2
-- | stdout:write 3
-- | output():write 4
-- | m0ld 5
-- | print 6
-- | answers: true	true
-- | to a file: io.write to file 7
-- | bad: false	bad argument #1 to 'io.write' (string expected, got table)
-- | numbers: 1 2.5 1e+100 -0
-- | closed default output: false	default output file is closed
print("print 1")
io.write("io.write ", 2, "\n")
io.stdout:write("stdout:write ", 3, "\n")
io.output():write("output():write 4\n")
smop.eval([[
my $interpreter;
my $scope;
my $OUT = $scope."lookup"("$OUT");
$OUT = $OUT."FETCH"();
$OUT."say"("m0ld 5");
]])
print("print 6")
local a = io.write("") == io.stdout
local b = io.stdout:write("") == io.stdout
print("answers: " .. tostring(a) .. "\t" .. tostring(b))
local path = os.tmpname()
local f = assert(io.open(path, "w"))
io.output(f)
io.write("io.write to file ", 7)
io.output(io.stdout)
f:close()
f = assert(io.open(path))
print("to a file: " .. f:read("a"))
f:close()
os.remove(path)
print("bad: " .. table.concat({ tostring(pcall(io.write, {})) and "false", select(2, pcall(io.write, {})) }, "\t"))
io.write("numbers: ", 1, " ", 2.5, " ", 1e100, " ", -0.0, "\n")
local gpath = os.tmpname()
local g = assert(io.open(gpath, "w"))
io.output(g)
g:close()
local okc, ec = pcall(io.write, "x")
io.output(io.stdout)
os.remove(gpath)
print("closed default output: " .. tostring(okc) .. "\t" .. tostring(ec):gsub("^.-: ", ""))
