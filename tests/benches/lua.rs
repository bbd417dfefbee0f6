//! Lua-on-polyeval benchmarks (plain harness). Each prints the median of
//! several runs and the ratio to a plain mlua baseline run in the same
//! process, interleaved with it so machine noise hits both alike.
//!
//! Run with `cargo bench -p polyeval-tests --bench lua`; pass `quick` to
//! shrink the sizes (CI does, so the harness and its result checks stay
//! honest), or section names (`method`, `roundtrip`, `coroutine`,
//! `memory`) to run only those.

use polyeval_tests::bench::{rss_bytes, side_by_side, BenchArgs};
use polyeval_tests::programs::METHOD_POLYEVAL;
use polyeval_tests::APPLY_M0LD;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use mlua::{UserData, UserDataMethods};
use polyeval_bridge::run::{new_loop, Options};
use polyeval_core::{Interp, Value};
use polyeval_lua::LuaRuntime;

/// A polyeval run loop with SMOP, Lua and the bridge, output discarded;
/// `lua_quantum` is `--lua-quantum` (0: no count hook).
fn polyeval_loop_with(lua_quantum: u32) -> (Interp, Rc<LuaRuntime>) {
    let mut opts = Options::new("bench.lua");
    opts.lua.quantum = lua_quantum;
    let rt = new_loop(
        &opts,
        Box::new(std::io::sink()),
        Box::new(std::io::stderr()),
    )
    .expect("run loop");
    let lua = LuaRuntime::of(rt.cx_ref()).expect("Lua installed");
    (rt, lua)
}

/// A polyeval run loop with the default count hook.
fn polyeval_loop() -> (Interp, Rc<LuaRuntime>) {
    polyeval_loop_with(polyeval_lua::DEFAULT_LUA_QUANTUM)
}

/// Runs the compiled chunk `f` with `args` on `rt` to completion; answers
/// its first result.
fn run_lua(rt: &mut Interp, lua: &Rc<LuaRuntime>, f: &mlua::Function, args: &[Value]) -> Value {
    polyeval_lua::start_main(rt, lua, f.clone(), args).expect("start");
    rt.run().unwrap_or_else(|e| panic!("{}", e.report()))
}

/// The same loop on an mlua userdata with a Rust `elems` method.
const METHOD_MLUA: &str = r#"
local n, h = ...
local s = 0
for _ = 1, n do s = s + h:elems() end
return s
"#;

/// N round trips Lua -> m0ld Code -> Lua.
const ROUNDTRIP_POLYEVAL: &str = r#"
local n, src = ...
local C = smop.eval(src)
local function id(x) return x end
local s = 0
for i = 1, n do s = s + C(id, i) end
return s
"#;

/// N round trips Lua -> Rust callback -> Lua.
const ROUNDTRIP_MLUA: &str = r#"
local n, C = ...
local function id(x) return x end
local s = 0
for i = 1, n do s = s + C(id, i) end
return s
"#;

/// N resume/yield pairs of a pure-Lua generator: the same source runs on
/// polyeval and on plain mlua.
const COROUTINE: &str = r#"
local n = ...
local gen = coroutine.wrap(function()
  local i = 0
  while true do i = i + 1; coroutine.yield(i) end
end)
local s = 0
for _ = 1, n do s = s + gen() end
return s
"#;

/// Mutual recursion Lua -> m0ld -> Lua to depth n; `probe` records the
/// RSS at depth `mark` and at the bottom.
const DEEP_POLYEVAL: &str = r#"
local n, src, mark = ...
local C = smop.eval(src)
local function f(k)
  if k == n - mark then probe() end
  if k == 0 then probe() return 0 end
  return 1 + C(f, k - 1)
end
return f(n)
"#;

/// Mutual recursion Lua -> Rust -> Lua in plain mlua, until it fails.
const DEEP_MLUA: &str = r#"
local rec = ...
local function g(k) return rec(g, k + 1) end
return pcall(g, 0)
"#;

/// A userdata whose `elems` method answers a constant, like a one-pair Hash.
struct Counter(i64);

impl UserData for Counter {
    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method("elems", |_, this, ()| Ok(this.0));
    }
}

/// The innermost message of a (nested) mlua error.
fn root_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::CallbackError { cause, .. } => root_message(cause),
        mlua::Error::WithContext { cause, .. } => root_message(cause),
        other => other.to_string(),
    }
}

fn per_call(d: Duration, n: i64) -> f64 {
    d.as_secs_f64() * 1e9 / n as f64
}

fn main() {
    let args = BenchArgs::from_env();
    let quick = args.quick;
    let want = |name: &str| args.want(name);
    let samples = if quick { 3 } else { 7 };
    println!("polyeval Lua benchmarks ({samples} samples each, medians)\n");

    // Native SMOP method calls from Lua (the fast path) vs an mlua
    // userdata method.
    // The count hook traps every Lua instruction once it is set, so the
    // comparison is printed with the default hook and without one.
    for (label, hook) in [
        ("method", polyeval_lua::DEFAULT_LUA_QUANTUM),
        ("method/nohook", 0),
    ] {
        if !want("method") {
            break;
        }
        let n: i64 = if quick { 20_000 } else { 1_000_000 };
        let (mut rt, plua) = polyeval_loop_with(hook);
        let pf = plua
            .load(METHOD_POLYEVAL.as_bytes(), "bench.lua")
            .expect("compiles");
        let lua = mlua::Lua::new();
        let mf = lua.load(METHOD_MLUA).into_function().expect("compiles");
        let ud = lua.create_userdata(Counter(1)).expect("userdata");
        let (tp, tm) = side_by_side(
            samples,
            || {
                let v = run_lua(&mut rt, &plua, &pf, &[Value::Int(n)]);
                assert!(v.raw_eq(&Value::Int(n)), "method: got {v:?}, want {n}");
            },
            || {
                let v: i64 = mf.call((n, &ud)).expect("lua runs");
                assert_eq!(v, n);
            },
        );
        let (pp, pm) = (per_call(tp, n), per_call(tm, n));
        println!(
            "{:<22}  polyeval {pp:>7.1} ns/call  mlua {pm:>7.1} ns/call  ratio {:.2}x  (target <= 1.2x)",
            format!("{label}({n})"),
            pp / pm
        );
    }

    // Lua -> m0ld Code -> Lua round trips vs Lua -> Rust callback -> Lua.
    if want("roundtrip") {
        let n: i64 = if quick { 5_000 } else { 200_000 };
        let expect = n * (n + 1) / 2;
        let (mut rt, plua) = polyeval_loop();
        let pf = plua
            .load(ROUNDTRIP_POLYEVAL.as_bytes(), "bench.lua")
            .expect("compiles");
        let lua = mlua::Lua::new();
        let mf = lua.load(ROUNDTRIP_MLUA).into_function().expect("compiles");
        let callback = lua
            .create_function(|_, (f, x): (mlua::Function, i64)| f.call::<i64>(x))
            .expect("callback");
        let src = Value::str(APPLY_M0LD);
        let (tp, tm) = side_by_side(
            samples,
            || {
                let v = run_lua(&mut rt, &plua, &pf, &[Value::Int(n), src.clone()]);
                assert!(
                    v.raw_eq(&Value::Int(expect)),
                    "roundtrip: got {v:?}, want {expect}"
                );
            },
            || {
                let v: i64 = mf.call((n, &callback)).expect("lua runs");
                assert_eq!(v, expect);
            },
        );
        let (pp, pm) = (per_call(tp, n), per_call(tm, n));
        println!(
            "{:<22}  polyeval {pp:>7.1} ns/trip  mlua {pm:>7.1} ns/trip  ratio {:.2}x  (target <= 2.0x)",
            format!("roundtrip({n})"),
            pp / pm
        );
    }

    // Resume/yield of a pure-Lua generator: on polyeval every coroutine is
    // a continuation of the run loop; mlua resumes it natively.
    if want("coroutine") {
        let n: i64 = if quick { 5_000 } else { 300_000 };
        let expect = n * (n + 1) / 2;
        let (mut rt, plua) = polyeval_loop();
        let pf = plua
            .load(COROUTINE.as_bytes(), "bench.lua")
            .expect("compiles");
        let lua = mlua::Lua::new();
        let mf = lua.load(COROUTINE).into_function().expect("compiles");
        let (tp, tm) = side_by_side(
            samples,
            || {
                let v = run_lua(&mut rt, &plua, &pf, &[Value::Int(n)]);
                assert!(
                    v.raw_eq(&Value::Int(expect)),
                    "coroutine: got {v:?}, want {expect}"
                );
            },
            || {
                let v: i64 = mf.call(n).expect("lua runs");
                assert_eq!(v, expect);
            },
        );
        let (pp, pm) = (per_call(tp, n), per_call(tm, n));
        println!(
            "{:<22}  polyeval {pp:>7.1} ns/pair  mlua {pm:>7.1} ns/pair  ratio {:.2}x",
            format!("coroutine({n})"),
            pp / pm
        );
    }

    // Memory per Lua -> m0ld -> Lua level of mutual recursion, on a thread
    // with a small native stack; beside it, how deep plain mlua nests.
    if want("memory") {
        // RSS is read at depth `mark` and at the bottom; the growth between
        // them, per level, leaves out what the process had before.
        let (mark, depth): (i64, i64) = if quick {
            (10_000, 30_000)
        } else {
            (200_000, 600_000)
        };
        const STACK: usize = 256 * 1024;
        let (before, probes, elapsed) = std::thread::Builder::new()
            .name("deep".into())
            .stack_size(STACK)
            .spawn(move || {
                let (mut rt, plua) = polyeval_loop();
                let f = plua
                    .load(DEEP_POLYEVAL.as_bytes(), "bench.lua")
                    .expect("compiles");
                let probes = Rc::new(RefCell::new(Vec::new()));
                let p2 = probes.clone();
                let probe = plua
                    .lua()
                    .create_function(move |_, ()| {
                        p2.borrow_mut().push(rss_bytes().unwrap_or(0));
                        Ok(())
                    })
                    .expect("probe");
                plua.lua().globals().set("probe", probe).expect("global");
                let before = rss_bytes().unwrap_or(0);
                let t = Instant::now();
                let v = run_lua(
                    &mut rt,
                    &plua,
                    &f,
                    &[Value::Int(depth), Value::str(APPLY_M0LD), Value::Int(mark)],
                );
                let elapsed = t.elapsed();
                assert!(
                    v.raw_eq(&Value::Int(depth)),
                    "memory: got {v:?}, want {depth}"
                );
                let probes = probes.borrow().clone();
                (before, probes, elapsed)
            })
            .expect("spawn")
            .join()
            .expect("deep recursion thread");
        assert_eq!(probes.len(), 2, "probes at depth {mark} and {depth}");
        let (at_mark, at_bottom) = (probes[0], probes[1]);
        let per = |bytes: u64, levels: i64| bytes / levels as u64;
        println!(
            "lua<->m0ld levels (one Lua and one m0ld frame each), on a {} KiB stack: RSS +{} B/level at depth {mark}, +{} B/level at depth {depth}; {} B/level between them (target <= 1536) ({elapsed:.2?} down and up)",
            STACK / 1024,
            per(at_mark.saturating_sub(before), mark),
            per(at_bottom.saturating_sub(before), depth),
            per(at_bottom.saturating_sub(at_mark), depth - mark),
        );

        let lua = mlua::Lua::new();
        let reached = Rc::new(Cell::new(0i64));
        let r2 = reached.clone();
        let rec = lua
            .create_function(move |_, (g, k): (mlua::Function, i64)| {
                r2.set(r2.get().max(k));
                g.call::<mlua::Value>(k)
            })
            .expect("rec");
        let f = lua.load(DEEP_MLUA).into_function().expect("compiles");
        let (ok, err): (bool, mlua::Value) = f.call(&rec).expect("pcall");
        assert!(!ok, "plain mlua recursion did not fail");
        let msg = match err {
            mlua::Value::Error(e) => root_message(&e),
            other => other.to_string().unwrap_or_else(|_| format!("{other:?}")),
        };
        println!(
            "plain mlua lua<->rust: fails at depth {}: {}",
            reached.get(),
            msg.lines().next().unwrap_or("")
        );
    }
}
