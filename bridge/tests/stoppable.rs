//! Every program can be stopped (docs/design.md §6): budgets, handlers and the
//! default actions of signals reach Lua wherever it runs — inside a
//! `table.sort` comparator, a `gsub` callback, a `__tostring` reached from
//! C, a `__gc` finalizer, a long C call, a runaway handler, a long sleep.
//!
//! Each test runs a child `polyeval run` under a hard kill of its own
//! (`DEADLINE`), so that a regression fails the test instead of hanging CI.
#![cfg(unix)]

mod common;

use common::kill;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The most any child may run before the test kills it and fails.
const DEADLINE: Duration = Duration::from_secs(20);

struct Run {
    status: Option<i32>,
    stdout: String,
    stderr: String,
    /// From the signal (or the start, without one) to the child's end.
    elapsed: Duration,
}

fn script(name: &str, src: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("polyeval-stoppable-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, src).expect("write script");
    path
}

fn spawn(path: &PathBuf, flags: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_polyeval"))
        .arg("run")
        .args(flags)
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("polyeval starts")
}

/// Waits for the child under [`DEADLINE`]; a child still running then is
/// killed and the test fails.
fn finish(mut child: Child, since: Instant, mut stdout: String) -> Run {
    let start = Instant::now();
    loop {
        match child.try_wait().expect("wait") {
            Some(st) => {
                let elapsed = since.elapsed();
                let mut rest = String::new();
                if let Some(mut o) = child.stdout.take() {
                    let _ = o.read_to_string(&mut rest);
                }
                stdout.push_str(&rest);
                let mut stderr = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut stderr);
                }
                return Run {
                    status: st.code(),
                    stdout,
                    stderr,
                    elapsed,
                };
            }
            None if start.elapsed() > DEADLINE => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the program could not be stopped: killed after {DEADLINE:?}");
            }
            None => std::thread::sleep(Duration::from_millis(2)),
        }
    }
}

/// Runs `src` with `flags` to its end.
fn run(name: &str, src: &str, flags: &[&str]) -> Run {
    let path = script(name, src);
    let child = spawn(&path, flags);
    finish(child, Instant::now(), String::new())
}

/// Runs `src`, waits for it to print `ready`, lets it run `settle`, then
/// sends each of `signals` (`pause` apart) and waits for its end.
fn run_signalled(
    name: &str,
    src: &str,
    flags: &[&str],
    settle: Duration,
    signals: &[&str],
    pause: Duration,
) -> Run {
    let path = script(name, src);
    let mut child = spawn(&path, flags);
    let out = child.stdout.take().expect("stdout piped");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = BufReader::new(out).lines().map_while(Result::ok);
        let mut seen = String::new();
        for l in lines.by_ref() {
            seen.push_str(&l);
            seen.push('\n');
            if l == "ready" {
                let _ = tx.send(());
                break;
            }
        }
        for l in lines {
            seen.push_str(&l);
            seen.push('\n');
        }
        seen
    });
    if rx.recv_timeout(DEADLINE).is_err() {
        let _ = child.kill();
        panic!("{name} never printed ready");
    }
    std::thread::sleep(settle);
    let since = Instant::now();
    for (i, sig) in signals.iter().enumerate() {
        if i > 0 {
            std::thread::sleep(pause);
        }
        kill(&child, sig);
    }
    let mut r = finish(child, since, String::new());
    r.stdout = reader.join().unwrap_or_default();
    r
}

const SETTLE: Duration = Duration::from_millis(200);

/// Each non-yieldable place with an endless pure Lua loop in it.
const PLACES: [(&str, &str); 5] = [
    (
        "sort",
        "table.sort({3, 2, 1}, function(a, b) while true do end end)",
    ),
    (
        "gsub",
        "print((('x'):gsub('x', function() while true do end end)))",
    ),
    (
        "tostring",
        "print(pcall(tostring, setmetatable({}, {__tostring = function() while true do end end})))",
    ),
    (
        "format",
        "print(string.format('%s', setmetatable({}, {__tostring = function() while true do end end})))",
    ),
    (
        "lt",
        "local mt = {__lt = function() while true do end end}\n\
         table.sort({setmetatable({}, mt), setmetatable({}, mt)})",
    ),
];

#[test]
fn the_step_budget_stops_lua_where_it_cannot_yield() {
    for mode in ["signal", "count"] {
        for (name, body) in PLACES {
            let src = format!("print('before')\n{body}\nprint('not reached')\n");
            let r = run(
                &format!("budget_{name}.lua"),
                &src,
                &["--max-steps", "1000", "--lua-preempt", mode],
            );
            assert_eq!(r.status, Some(1), "{name} ({mode}): {}", r.stderr);
            assert!(
                r.stderr.contains("step budget exceeded"),
                "{name} ({mode}): {}",
                r.stderr
            );
            assert_eq!(
                r.stdout, "before\n",
                "{name} ({mode}): output before the stop survives"
            );
        }
    }
}

#[test]
fn a_signal_with_no_handler_ends_lua_where_it_cannot_yield() {
    for mode in ["signal", "count"] {
        for (name, body) in PLACES {
            let src = format!("print('ready')\nio.flush()\n{body}\n");
            let r = run_signalled(
                &format!("term_{name}.lua"),
                &src,
                &["--lua-preempt", mode],
                SETTLE,
                &["TERM"],
                Duration::ZERO,
            );
            assert_eq!(r.status, Some(143), "{name} ({mode}): {}", r.stderr);
            assert!(
                r.stderr.contains("SIGTERM"),
                "{name} ({mode}): {}",
                r.stderr
            );
        }
    }
}

#[test]
fn a_handler_runs_where_lua_cannot_yield() {
    // The comparator spins until the SIGUSR1 handler, run in place as a
    // detour, sets the flag; then sorting goes on and the program ends.
    let src = "local stop = false\n\
               polyeval.on_interrupt('SIGUSR1', function() print('handler ran'); stop = true end)\n\
               print('ready')\nio.flush()\n\
               local t = {3, 1, 2}\n\
               table.sort(t, function(a, b) while not stop do end return a < b end)\n\
               print('sorted ' .. table.concat(t, ' '))\n";
    for mode in ["signal", "count"] {
        let r = run_signalled(
            "usr1_sort.lua",
            src,
            &["--lua-preempt", mode],
            SETTLE,
            &["USR1"],
            Duration::ZERO,
        );
        assert_eq!(r.status, Some(0), "{mode}: {}", r.stderr);
        assert_eq!(r.stdout, "ready\nhandler ran\nsorted 1 2 3\n", "{mode}");
    }
    // The SIGTERM handler runs while tostring spins in __tostring.
    let src = "polyeval.on_interrupt('SIGTERM', function() print('term handler ran'); os.exit(3) end)\n\
               print('ready')\nio.flush()\n\
               print(pcall(tostring, setmetatable({}, {__tostring = function() while true do end end})))\n";
    let r = run_signalled(
        "term_tostring.lua",
        src,
        &[],
        SETTLE,
        &["TERM"],
        Duration::ZERO,
    );
    assert_eq!(r.status, Some(3), "{}", r.stderr);
    assert_eq!(r.stdout, "ready\nterm handler ran\n");
}

#[test]
fn sigint_ends_a_looping_tostring_of_an_uncaught_error() {
    let src = "print('ready')\nio.flush()\n\
               error(setmetatable({}, {__tostring = function() while true do end end}))\n";
    let r = run_signalled(
        "err_tostring.lua",
        src,
        &[],
        SETTLE,
        &["INT"],
        Duration::ZERO,
    );
    assert_eq!(r.status, Some(130), "{}", r.stderr);
}

#[test]
fn a_signal_ends_a_long_c_call_promptly() {
    // A backtracking string.find that runs for a very long time.
    let src = "print('ready')\nio.flush()\n\
               local s = string.rep('a', 40)\n\
               print(string.find(s, string.rep('a?', 40) .. string.rep('a', 40) .. 'b'))\n";
    for sig in ["TERM", "INT", "HUP"] {
        let r = run_signalled("find.lua", src, &[], SETTLE, &[sig], Duration::ZERO);
        let want = match sig {
            "TERM" => 143,
            "INT" => 130,
            _ => 129,
        };
        assert_eq!(r.status, Some(want), "{sig}: {}", r.stderr);
        // The promise is 100 ms (a grace of 50 ms); a loaded CI machine gets
        // slack, but not seconds.
        assert!(
            r.elapsed < Duration::from_secs(2),
            "{sig} took {:?}",
            r.elapsed
        );
        eprintln!("{sig} ended string.find after {:?}", r.elapsed);
    }
}

#[test]
fn a_finalizer_that_never_returns_ends_on_a_signal() {
    let src = "print('ready')\nio.flush()\n\
               setmetatable({}, {__gc = function() while true do end end})\n\
               collectgarbage()\n";
    let r = run_signalled("gc.lua", src, &[], SETTLE, &["TERM"], Duration::ZERO);
    assert_eq!(r.status, Some(143), "{}", r.stderr);
}

#[test]
fn a_second_sigint_ends_a_runaway_handler_at_once() {
    let src = "polyeval.on_interrupt('SIGINT', function() print('handler started'); io.flush(); while true do end end)\n\
               print('ready')\nio.flush()\n\
               while true do end\n";
    let r = run_signalled(
        "runaway.lua",
        src,
        &[],
        SETTLE,
        &["INT", "INT"],
        Duration::from_millis(300),
    );
    assert_eq!(r.status, Some(130), "{}", r.stderr);
    assert!(r.stdout.contains("handler started"), "{}", r.stdout);
    assert!(r.stderr.contains("second SIGINT"), "{}", r.stderr);
}

#[test]
fn a_signal_with_no_handler_ends_a_runaway_handler() {
    // SIGTERM has no handler; it queues behind the looping USR1 handler,
    // and the signal thread ends the program when the loop cannot take it.
    let src = "polyeval.on_interrupt('SIGUSR1', function() while true do end end)\n\
               print('ready')\nio.flush()\n\
               while true do end\n";
    let r = run_signalled(
        "runaway_term.lua",
        src,
        &[],
        SETTLE,
        &["USR1", "TERM"],
        Duration::from_millis(200),
    );
    assert_eq!(r.status, Some(143), "{}", r.stderr);
}

#[test]
fn a_signal_ends_a_sleep_of_2_pow_63_seconds() {
    let src = "print('ready')\nio.flush()\npolyeval.sleep(2 ^ 63)\n";
    let r = run_signalled("sleep.lua", src, &[], SETTLE, &["TERM"], Duration::ZERO);
    assert_eq!(r.status, Some(143), "{}", r.stderr);
    assert!(r.stderr.contains("interrupted by SIGTERM"), "{}", r.stderr);
}

#[test]
fn debug_sethook_does_not_switch_polyeval_off() {
    // Clearing a hook, or setting one of the user's own, leaves budgets
    // and signals working (--lua-stdlib all exposes debug).
    let cleared = "debug.sethook()\nprint('ready')\nio.flush()\nwhile true do end\n";
    let own = "local n = 0\ndebug.sethook(function() n = n + 1 end, 'l')\n\
               print('ready')\nio.flush()\nwhile true do end\n";
    // An empty hook function and a one-instruction loop: every count
    // event Lua makes falls inside the user's hook, where Lua calls no
    // hook, so only the line and call events can carry the preemption.
    let empty_line = "debug.sethook(function() end, 'l')\nprint('ready')\nio.flush()\n\
                      while true do end\n";
    let empty_call = "debug.sethook(function() end, 'c')\nlocal function f() end\n\
                      print('ready')\nio.flush()\nwhile true do f() end\n";
    for (name, src) in [
        ("cleared", cleared),
        ("own", own),
        ("empty_line", empty_line),
        ("empty_call", empty_call),
    ] {
        for mode in ["signal", "count"] {
            let r = run(
                &format!("sethook_budget_{name}.lua"),
                src,
                &[
                    "--lua-stdlib",
                    "all",
                    "--max-steps",
                    "100",
                    "--lua-preempt",
                    mode,
                ],
            );
            assert_eq!(r.status, Some(1), "{name} ({mode}): {}", r.stderr);
            assert!(
                r.stderr.contains("step budget exceeded"),
                "{name}: {}",
                r.stderr
            );
            let r = run_signalled(
                &format!("sethook_term_{name}.lua"),
                src,
                &["--lua-stdlib", "all", "--lua-preempt", mode],
                SETTLE,
                &["TERM"],
                Duration::ZERO,
            );
            assert_eq!(r.status, Some(143), "{name} ({mode}): {}", r.stderr);
            assert!(
                r.stderr.contains("interrupted by SIGTERM"),
                "{name} ({mode}): handled at a safe point, not by the signal thread: {}",
                r.stderr
            );
        }
    }
}

#[test]
fn a_first_sigint_with_no_handler_raises_interrupted_which_pcall_catches() {
    // As the stand-alone `lua`: `interrupted!` at the next Lua instruction
    // (here inside pcall, then inside a sort comparator); uncaught, the
    // program ends with the backtrace and status 130.
    let src = "print('ready')\nio.flush()\n\
               local ok, e = pcall(function() while true do end end)\n\
               print('caught', ok, (tostring(e):gsub('^.*: ', '')))\nio.flush()\n\
               ok, e = pcall(table.sort, {3, 2, 1}, function() while true do end end)\n\
               print('caught in sort', ok, (tostring(e):gsub('^.*: ', '')))\nio.flush()\n\
               while true do end\n";
    for mode in ["signal", "count"] {
        let r = run_signalled(
            "sigint_pcall.lua",
            src,
            &["--lua-preempt", mode],
            SETTLE,
            &["INT", "INT", "INT"],
            Duration::from_millis(300),
        );
        assert_eq!(r.status, Some(130), "{mode}: {}", r.stderr);
        assert_eq!(
            r.stdout, "ready\ncaught\tfalse\tinterrupted!\ncaught in sort\tfalse\tinterrupted!\n",
            "{mode}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("interrupted by SIGINT"),
            "{mode}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("sigint_pcall.lua:9"),
            "{mode}: {}",
            r.stderr
        );
    }
}

#[test]
fn an_error_that_only_reads_interrupted_is_not_the_interrupt() {
    // After a SIGINT was raised as `interrupted!` and caught, the run ends
    // with status 130 only for that error itself, not for another error
    // whose message merely ends the same way.
    let src = "print('ready')\nio.flush()\n\
               local ok, e = pcall(function() while true do end end)\n\
               print('caught', ok)\nio.flush()\n\
               error('the user typed: interrupted!', 0)\n";
    let r = run_signalled(
        "sigint_lookalike.lua",
        src,
        &[],
        SETTLE,
        &["INT"],
        Duration::from_millis(300),
    );
    assert_eq!(r.stdout, "ready\ncaught\tfalse\n", "{}", r.stderr);
    assert_eq!(r.status, Some(1), "{}", r.stderr);
    assert!(
        r.stderr.contains("the user typed: interrupted!"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("interrupted by SIGINT"), "{}", r.stderr);
}
