//! Mutual Lua ↔ m0ld recursion through the run loop (issue 3): Lua calls an
//! m0ld `Code`, which calls a Lua function, which calls the `Code` again,
//! and so on. Every level is two hand-offs and two `setr`s; no interpreter
//! nests on the native stack.
//!
//! - 100,000 levels on a thread with a 256 KiB stack (an mlua embedding
//!   stops at about 200 with "C stack overflow").
//! - 1,000,000 levels complete with the right result.
//! - An error raised at the bottom of 100,000 levels unwinds through all of
//!   them to a `pcall` at the top, on the same small stack.

use std::time::Instant;

use polyeval_bridge::run::{new_loop, Options};
use polyeval_core::Value;
use polyeval_tests::APPLY_M0LD;

/// `f(n) = n == 0 and 0 or 1 + C(f, n - 1)` where `C` is
/// [`APPLY_M0LD`]'s Code, which calls its first argument with its second.
const MUTUAL: &str = r#"
local depth, fail_at_bottom, apply_src = ...
local C = smop.eval(apply_src)
local function f(n)
  if n == 0 then
    if fail_at_bottom then error({ bottom = true }) end
    return 0
  end
  return 1 + C(f, n - 1)
end
if fail_at_bottom then
  local ok, e = pcall(f, depth)
  return (not ok and type(e) == "table" and e.bottom) and -1 or -2
end
return f(depth)
"#;

fn run_mutual(depth: i64, fail_at_bottom: bool) -> Result<Value, String> {
    let opts = Options::new("deep_cross.lua");
    let mut rt = new_loop(&opts, Box::new(std::io::sink()), Box::new(std::io::sink()))?;
    let lua = polyeval_lua::LuaRuntime::of(rt.cx_ref()).ok_or("no Lua runtime")?;
    let f = lua
        .load(MUTUAL.as_bytes(), "deep_cross.lua")
        .map_err(|e| e.message)?;
    polyeval_lua::start_main(
        &mut rt,
        &lua,
        f,
        &[
            Value::Int(depth),
            Value::Bool(fail_at_bottom),
            Value::str(APPLY_M0LD),
        ],
    )
    .map_err(|e| e.message)?;
    rt.run().map_err(|e| e.report())
}

fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the deep run finished without overflowing its 256 KiB stack");
}

#[test]
fn hundred_thousand_levels_on_a_256k_stack() {
    on_small_stack(|| match run_mutual(100_000, false) {
        Ok(Value::Int(n)) => assert_eq!(n, 100_000),
        other => panic!("unexpected result {other:?}"),
    });
}

#[test]
fn error_at_the_bottom_unwinds_100k_levels_to_pcall() {
    on_small_stack(|| match run_mutual(100_000, true) {
        Ok(Value::Int(n)) => assert_eq!(n, -1, "pcall at the top did not get the table"),
        other => panic!("unexpected result {other:?}"),
    });
}

#[test]
fn one_million_levels() {
    let t = Instant::now();
    match run_mutual(1_000_000, false) {
        Ok(Value::Int(n)) => assert_eq!(n, 1_000_000),
        other => panic!("unexpected result {other:?}"),
    }
    eprintln!("1,000,000 Lua <-> m0ld levels in {:?}", t.elapsed());
}
