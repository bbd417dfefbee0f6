//! The conformance kit (`polyeval_core::testkit`) run on Lua: one test per
//! check. Each chunk returns the function the kit calls.

use polyeval_core::testkit::{Program, Subject};
use polyeval_core::{Interp, ScriptError};
use polyeval_lua::{LuaConfig, LuaRuntime};

struct Lua;

impl Subject for Lua {
    fn language(&self) -> &'static str {
        "lua"
    }

    fn install(&self, rt: &mut Interp) -> Result<(), ScriptError> {
        LuaRuntime::install(rt, LuaConfig::default()).map(drop)
    }

    fn source(&self, program: Program) -> String {
        match program {
            Program::Call => "return function(g, x)\n  return g(x)\nend\n",
            Program::Recurse => {
                "return function(peer, n)\n  if n == 0 then return 0 end\n  \
                 return peer(n - 1) + 1\nend\n"
            }
            Program::Raise => "return function(msg)\n  error(msg)\nend\n",
            Program::Catch => {
                "return function(g, x)\n  local ok, r = pcall(g, x)\n  \
                 if ok then return r end\n  return tostring(r)\nend\n"
            }
            Program::Spin => "return function()\n  while true do end\nend\n",
            Program::Sum => {
                "return function(n)\n  local total = 0\n  for i = 1, n do total = total + i end\n  \
                 print(total)\n  return total\nend\n"
            }
        }
        .to_owned()
    }
}

polyeval_core::conformance_tests!(Lua);
