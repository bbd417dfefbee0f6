//! SMOP benchmarks (plain harness). Each prints the median of several runs
//! and, where there is one, the ratio to a baseline run in the same
//! process, interleaved with it so machine noise hits both alike.
//!
//! Run with `cargo bench -p polyeval-tests --bench smop`; pass `quick` to
//! shrink the sizes (CI does, so the harness and its result checks stay
//! honest), or section names (`fib`, `loop`, `dispatch`, `memory`) to run
//! only those.

use polyeval_tests::bench::{median, rss_bytes, side_by_side, BenchArgs};
use polyeval_tests::programs::{FIB_M0LD, LOOP_M0LD};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use polyeval_core::{Continuation, Cx, FrameInfo, Interp, NativeFn, Step, Value};
use polyeval_smop::{asm, prelude};

fn run_m0ld(src: &str, extra: &[(&str, Value)]) -> Value {
    let mold = asm::compile(src, "bench.m0ld").unwrap_or_else(|d| panic!("{}", d.render()));
    let mut rt = Interp::new();
    for (name, v) in extra {
        prelude::bind(rt.cx(), name, v.clone());
    }
    let frame = prelude::top_frame(rt.cx(), mold);
    rt.start(Box::new(frame));
    rt.run().unwrap_or_else(|e| panic!("{}", e.report()))
}

const FIB_LUA: &str = r#"
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
return fib(...)
"#;

const LOOP_LUA: &str = r#"
local n = ...
local i, s = 0, 0
while i < n do s = s + i; i = i + 1 end
return s
"#;

struct Tick(u64);
impl Continuation for Tick {
    fn interpreter(&self) -> &'static str {
        "native"
    }
    fn eval(&mut self, _rt: &mut Cx) -> Step {
        self.0 -= 1;
        if self.0 == 0 {
            Step::Done(Value::Nil)
        } else {
            Step::Continue
        }
    }
    fn setr(&mut self, _: Value) {}
    fn frames(&self, _: &mut Vec<FrameInfo>) {}
}

const DEEP_M0LD: &str = r#"
my $interpreter;
my $scope;
my $Code = $scope."lookup"("Code");
$Code = $Code."FETCH"();
my $body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $n = $capture."positional"(0);
    my $zero = $n."infix:=="(0);
    if $zero { goto base } else { goto recurse };
    base: $n = $scope."lookup"("&probe");
    $n = $n."FETCH"();
    $n = $n."postcircumfix:( )"();
    goto end;
    recurse: noop;
    my $f = $scope."lookup"("&deep");
    $f = $f."FETCH"();
    my $m = $n."infix:-"(1);
    $n = $f."postcircumfix:( )"($m);
    end: noop;
};
my $f = $Code."new"(:"outer"($scope), :"mold"($body));
my $cell = $scope."postcircumfix:{ }"("&deep");
$cell."STORE"($f);
my $N = $scope."lookup"("N");
$N = $N."FETCH"();
my $r = $f."postcircumfix:( )"($N);
"#;

fn main() {
    let args = BenchArgs::from_env();
    let quick = args.quick;
    let want = |name: &str| args.want(name);
    let samples = if quick { 3 } else { 7 };
    let lua = mlua::Lua::new();
    println!("polyeval SMOP benchmarks ({samples} samples each, medians)\n");

    // fib(30), and a 10M-iteration integer loop: m0ld vs Lua 5.4 via mlua.
    let cases = [
        ("fib", FIB_M0LD, FIB_LUA, if quick { 18 } else { 30 }, 3.0),
        (
            "loop",
            LOOP_M0LD,
            LOOP_LUA,
            if quick { 100_000 } else { 10_000_000 },
            1.3,
        ),
    ];
    for (name, m0ld, lua_src, n, target) in cases {
        if !want(name) {
            continue;
        }
        let f = lua.load(lua_src).into_function().expect("lua compiles");
        let expect: i64 = f.call(n).expect("lua runs");
        let (tm, tl) = side_by_side(
            samples,
            || {
                let v = run_m0ld(m0ld, &[("N", Value::Int(n))]);
                assert!(v.raw_eq(&Value::Int(expect)));
            },
            || {
                let v: i64 = f.call(n).expect("lua runs");
                assert_eq!(v, expect);
            },
        );
        println!(
            "{:<18}  m0ld {tm:>9.2?}  lua {tl:>9.2?}  ratio {:.2}x  (target <= {target:.1}x)",
            format!("{name}({n})"),
            tm.as_secs_f64() / tl.as_secs_f64()
        );
    }

    // Dispatch cost per step with a trivial native continuation.
    if want("dispatch") {
        let steps: u64 = if quick { 100_000 } else { 20_000_000 };
        let mut times = Vec::new();
        for _ in 0..samples {
            let mut rt = Interp::new();
            rt.start(Box::new(Tick(steps)));
            let t = Instant::now();
            rt.run().expect("runs");
            times.push(t.elapsed());
        }
        let per = median(times).as_secs_f64() * 1e9 / steps as f64;
        println!("dispatch            {per:.2} ns/step over {steps} steps  (target <= 5 ns)");
    }

    // Memory per suspended Code frame at depth 1,000,000.
    if want("memory") {
        let depth: i64 = if quick { 10_000 } else { 1_000_000 };
        let before = rss_bytes().unwrap_or(0);
        let peak = Rc::new(RefCell::new(0u64));
        let p2 = peak.clone();
        let probe = NativeFn::value("probe", move |_rt, _cap| {
            *p2.borrow_mut() = rss_bytes().unwrap_or(0);
            Ok(Value::Int(0))
        });
        let t = Instant::now();
        run_m0ld(DEEP_M0LD, &[("N", Value::Int(depth)), ("&probe", probe)]);
        let elapsed = t.elapsed();
        let at_bottom = *peak.borrow();
        println!(
        "frames at depth {depth}: RSS +{:.1} MiB = {} bytes per suspended Code frame (target <= 320) ({elapsed:.2?} down and up)",
        at_bottom.saturating_sub(before) as f64 / (1024.0 * 1024.0),
        at_bottom.saturating_sub(before) / depth as u64
    );
    }
}
