//! Interrupt benchmarks (plain harness), docs/design.md §6.
//!
//! `latency`: from `raise()` on another thread to the first step of the
//! handler (a Rust closure, so the handler itself adds nothing), while the
//! program is in a tight Lua loop, in a tight m0ld loop, and with Lua
//! waiting on a long m0ld computation. Prints p50, p99 and max beside the
//! baseline: the same raise-and-wait through a bare crossbeam channel to a
//! thread spinning on `try_recv`, measured in the same process.
//!
//! `polling`: what polling costs when nothing is pending, on the earlier
//! issues' benchmarks, each beside its baseline: the m0ld loop with the
//! VM's interrupt polls compiled out (`MoldFrame::eval_without_polls`), and
//! Lua method calls and a pure Lua loop with `--lua-quantum 0` (no hook, no
//! arming: Lua never polls). The Lua rows are shown for both preemption
//! modes: `signal` (the default) and `count` (`--lua-preempt count`).
//!
//! `cargo bench -p polyeval-tests --bench interrupts [quick] [latency|polling]`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use polyeval_bridge::run::{new_loop, Options};
use polyeval_core::{Continuation, FrameInfo, Step};
use polyeval_core::{Cx, DefaultAction, Ident, Interp, SendValue, Value};
use polyeval_lua::{LuaRuntime, Preempt};
use polyeval_smop::{asm, frame::MoldFrame, prelude};
use polyeval_tests::bench::{side_by_side, BenchArgs};
use polyeval_tests::programs::{LOOP_M0LD, METHOD_POLYEVAL};

const TIGHT_LUA: &str = "local i = 0 while true do i = i + 1 end";

const TIGHT_M0LD: &str = r#"
my $interpreter;
my $i = 0;
forever: $i = $i."infix:+"(1);
goto forever;
"#;

const LUA_WAITS_ON_M0LD: &str = r#"
smop.eval([[
  my $interpreter;
  my $i = 0;
  forever: $i = $i."infix:+"(1);
  goto forever;
]])
"#;

fn lua_loop(opts: &Options, src: &str) -> Interp {
    let mut rt =
        new_loop(opts, Box::new(std::io::sink()), Box::new(std::io::stderr())).expect("loop");
    let lua = LuaRuntime::of(rt.cx_ref()).expect("Lua");
    let f = lua.load(src.as_bytes(), "bench.lua").expect("compiles");
    polyeval_lua::start_main(&mut rt, &lua, f, &[]).expect("start");
    rt
}

/// A top-level m0ld frame whose steps run the VM's loop compiled without
/// interrupt polls (its callees' frames still poll).
struct Unpolled(MoldFrame);

impl Continuation for Unpolled {
    fn interpreter(&self) -> &'static str {
        "smop"
    }
    fn eval(&mut self, rt: &mut Cx) -> Step {
        self.0.eval_without_polls(rt)
    }
    fn setr(&mut self, v: Value) {
        self.0.setr(v);
    }
    fn frames(&self, out: &mut Vec<FrameInfo>) {
        self.0.frames(out);
    }
}

fn m0ld_loop(src: &str, n: Option<i64>, poll: bool) -> Interp {
    let mold = asm::compile(src, "bench.m0ld").unwrap_or_else(|d| panic!("{}", d.render()));
    let mut rt = Interp::new();
    if let Some(n) = n {
        prelude::bind(rt.cx(), "N", Value::Int(n));
    }
    let frame = prelude::top_frame(rt.cx(), mold);
    if poll {
        rt.start(Box::new(frame));
    } else {
        rt.start(Box::new(Unpolled(frame)));
    }
    rt
}

/// Builds the run loop of one latency case.
type MakeLoop<'a> = Box<dyn Fn() -> Interp + 'a>;

struct Latencies {
    p50: Duration,
    p99: Duration,
    max: Duration,
    lost: usize,
}

fn percentiles(mut v: Vec<u64>, lost: usize) -> Latencies {
    v.sort_unstable();
    let at = |q: f64| {
        let i = ((v.len() as f64 - 1.0) * q).round() as usize;
        Duration::from_nanos(v.get(i).copied().unwrap_or(u64::MAX))
    };
    Latencies {
        p50: at(0.50),
        p99: at(0.99),
        max: at(1.0),
        lost,
    }
}

/// Raises `n` interrupts, one at a time, from another thread at random
/// moments, while `rt` runs its endless program; answers the latencies.
fn measure(mut rt: Interp, n: usize) -> Latencies {
    let epoch = Instant::now();
    let sent = Arc::new(AtomicU64::new(0));
    // The handler tells the raiser through a channel, so that the raiser
    // sleeps instead of spinning (two spinning threads on a two-core
    // machine get descheduled, which would measure the OS, not polyeval).
    let (done_tx, done_rx) = crossbeam_channel::unbounded::<()>();
    let samples = std::rc::Rc::new(std::cell::RefCell::new(Vec::with_capacity(n)));
    {
        let (sent, samples) = (sent.clone(), samples.clone());
        rt.on_interrupt_fn("ping", move |_, _| {
            let now = epoch.elapsed().as_nanos() as u64;
            samples
                .borrow_mut()
                .push(now.saturating_sub(sent.load(Ordering::Acquire)));
            let _ = done_tx.send(());
            Ok(Value::Nil)
        });
    }
    rt.set_default_action(Ident::new("stop"), DefaultAction::Exit(0));
    let h = rt.interrupt_handle();
    let raiser = std::thread::spawn(move || {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut lost = 0;
        // Let the program get going first.
        std::thread::sleep(Duration::from_millis(20));
        for i in 0..n as u64 {
            std::thread::sleep(Duration::from_micros(rng.u64(20..300)));
            sent.store(epoch.elapsed().as_nanos() as u64, Ordering::Release);
            h.raise("ping", SendValue::Int(i as i64))
                .expect("loop alive");
            if done_rx.recv_timeout(Duration::from_secs(2)).is_err() {
                lost += 1;
            }
        }
        h.raise("stop", SendValue::Nil).expect("loop alive");
        lost
    });
    let _ = rt.run();
    let lost = raiser.join().expect("raiser");
    let v = samples.borrow().clone();
    percentiles(v, lost)
}

/// The baseline: a thread spinning on a crossbeam channel's `try_recv`.
fn baseline(n: usize) -> Latencies {
    let (tx, rx) = crossbeam_channel::unbounded::<u64>();
    let (back_tx, back_rx) = crossbeam_channel::unbounded::<u64>();
    let epoch = Instant::now();
    let spinner = std::thread::spawn(move || {
        let mut x = 0u64;
        loop {
            match rx.try_recv() {
                Ok(sent) => {
                    let now = epoch.elapsed().as_nanos() as u64;
                    if sent == u64::MAX {
                        return x;
                    }
                    let _ = back_tx.send(now.saturating_sub(sent));
                }
                Err(_) => x = x.wrapping_add(1),
            }
        }
    });
    let mut rng = fastrand::Rng::with_seed(7);
    let mut v = Vec::with_capacity(n);
    std::thread::sleep(Duration::from_millis(20));
    for _ in 0..n {
        std::thread::sleep(Duration::from_micros(rng.u64(20..300)));
        let _ = tx.send(epoch.elapsed().as_nanos() as u64);
        if let Ok(d) = back_rx.recv() {
            v.push(d);
        }
    }
    let _ = tx.send(u64::MAX);
    let _ = spinner.join();
    percentiles(v, 0)
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn latency(quick: bool) {
    let n = if quick { 100 } else { 2000 };
    println!("latency: raise() on another thread -> handler's first step ({n} interrupts each)");
    let base = baseline(n);
    println!(
        "  baseline: crossbeam channel to a thread spinning on try_recv: p50 {}  p99 {}",
        us(base.p50),
        us(base.p99)
    );
    let opts = Options::new("bench.lua");
    let mut counting = Options::new("bench.lua");
    counting.lua.preempt = Preempt::Count;
    let cases: [(&str, MakeLoop); 4] = [
        ("tight Lua loop", Box::new(|| lua_loop(&opts, TIGHT_LUA))),
        (
            "  with --lua-preempt count",
            Box::new(|| lua_loop(&counting, TIGHT_LUA)),
        ),
        (
            "tight m0ld loop",
            Box::new(|| m0ld_loop(TIGHT_M0LD, None, true)),
        ),
        (
            "Lua waiting on m0ld",
            Box::new(|| lua_loop(&opts, LUA_WAITS_ON_M0LD)),
        ),
    ];
    for (name, make) in cases {
        let l = measure(make(), n);
        let verdict = if l.p99 <= Duration::from_micros(50) && l.lost == 0 {
            "met"
        } else {
            "MISSED"
        };
        println!(
            "  {name:<22} p50 {:>9}  p99 {:>9}  max {:>9}  (p99 {:.1}x baseline; target p99 <= 50 µs: {verdict}{})",
            us(l.p50),
            us(l.p99),
            us(l.max),
            l.p99.as_secs_f64() / base.p99.as_secs_f64().max(1e-9),
            if l.lost > 0 { format!(", {} not handled within 2 s", l.lost) } else { String::new() }
        );
        assert_eq!(l.lost, 0, "{name}: interrupts were not handled");
    }
}

fn overhead(name: &str, on: Duration, off: Duration) {
    let pct = (on.as_secs_f64() / off.as_secs_f64() - 1.0) * 100.0;
    let verdict = if pct <= 3.0 { "met" } else { "MISSED" };
    println!(
        "  {name:<34} polling {:>9.2} ms  never polls {:>9.2} ms  cost {pct:+.1}% (target <= 3%: {verdict})",
        on.as_secs_f64() * 1e3,
        off.as_secs_f64() * 1e3
    );
}

fn polling(quick: bool, samples: usize) {
    println!("polling: cost when nothing is pending (medians of {samples}, side by side)");
    // The m0ld loop runs in one frame, whose VM loop can be swapped for
    // the copy compiled without polls (fib's many frames cannot).
    let n: i64 = if quick { 100_000 } else { 10_000_000 };
    let run = |poll: bool| {
        let mut rt = m0ld_loop(LOOP_M0LD, Some(n), poll);
        let v = rt.run().unwrap_or_else(|e| panic!("{}", e.report()));
        assert!(matches!(v, Value::Int(x) if x == n * (n - 1) / 2));
    };
    let (on, off) = side_by_side(samples, || run(true), || run(false));
    overhead("m0ld loop (VM polls compiled out)", on, off);
    for (name, src, n) in [
        (
            "Lua -> SMOP method calls",
            METHOD_POLYEVAL,
            if quick { 20_000 } else { 1_000_000 },
        ),
        (
            "pure Lua loop",
            "local n = ... local s = 0 for i = 1, n do s = s + i % 7 end return s",
            if quick { 100_000 } else { 20_000_000 },
        ),
    ] {
        let run = |lua_quantum: u32, preempt: Preempt| {
            let mut opts = Options::new("bench.lua");
            opts.lua.quantum = lua_quantum;
            opts.lua.preempt = preempt;
            let mut rt = new_loop(
                &opts,
                Box::new(std::io::sink()),
                Box::new(std::io::stderr()),
            )
            .expect("loop");
            let lua = LuaRuntime::of(rt.cx_ref()).expect("Lua");
            let f = lua.load(src.as_bytes(), "bench.lua").expect("compiles");
            polyeval_lua::start_main(&mut rt, &lua, f, &[Value::Int(n)]).expect("start");
            let v = rt.run().unwrap_or_else(|e| panic!("{}", e.report()));
            assert!(matches!(v, Value::Int(_)));
        };
        let (on, off) = side_by_side(
            samples,
            || run(polyeval_lua::DEFAULT_LUA_QUANTUM, Preempt::Signal),
            || run(0, Preempt::Signal),
        );
        overhead(&format!("{name} (--lua-quantum 0)"), on, off);
        let (on, off) = side_by_side(
            samples,
            || run(polyeval_lua::DEFAULT_LUA_QUANTUM, Preempt::Count),
            || run(0, Preempt::Signal),
        );
        overhead("  with --lua-preempt count", on, off);
    }
}

fn main() {
    let args = BenchArgs::from_env();
    let quick = args.quick;
    let want = |name: &str| args.want(name);
    let samples = if quick { 3 } else { 11 };
    if want("latency") {
        latency(quick);
    }
    if want("polling") {
        polling(quick, samples);
    }
}
