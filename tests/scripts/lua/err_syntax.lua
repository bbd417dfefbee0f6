-- A Lua syntax error in the program file is a compile error: exit status 2,
-- with the file and line on stderr and nothing run.
-- expect-exit: 2
-- expect-stdout:
-- expect-stderr: err_syntax.lua:7: unexpected symbol near ')'
print("never printed")
local x = (1 + )
