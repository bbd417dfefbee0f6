//! The interrupt tools of the `polyeval` binary, end to end:
//! `verify-interrupts` on the bundled examples and on programs whose probe
//! handler is not transparent; `--interrupt-every-steps`; the examples the
//! README's "Interrupts" section runs (signals included); and `--diagram`
//! snapshots (text and SVG), which `BLESS=1 cargo test` rewrites.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs the binary from the workspace root, so that paths in messages are
/// the short ones a user sees.
fn polyeval(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polyeval"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("polyeval runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The `verified K injection points over S steps` line's K and S.
fn verified(out: &Output) -> (u64, u64) {
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {stdout}\nstderr: {}",
        text(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    let words: Vec<&str> = last.split_whitespace().collect();
    assert!(
        last.ends_with("steps: all transparent") && words.len() == 9,
        "unexpected last line: {last}"
    );
    let k = words[1].parse().expect("K");
    let s = words[5].parse().expect("S");
    (k, s)
}

#[test]
fn verify_interrupts_passes_on_the_bundled_examples() {
    let (k, s) = verified(&polyeval(&[
        "verify-interrupts",
        "examples/wordfreq/main.lua",
        "examples/wordfreq/text.txt",
    ]));
    assert_eq!(
        k, 200,
        "a program of {s} steps gets the default 200 samples"
    );
    assert!(s > 200);
    let (k, s) = verified(&polyeval(&[
        "verify-interrupts",
        "examples/interrupts/transfers.lua",
    ]));
    assert_eq!(k, s, "a short program is probed after every step");
    let (k, s) = verified(&polyeval(&[
        "verify-interrupts",
        "--samples",
        "50",
        "--seed",
        "9",
        "examples/fib.m0ld",
        "12",
    ]));
    assert_eq!(k, 50.min(s));
    let (k, s) = verified(&polyeval(&[
        "verify-interrupts",
        "examples/interrupts/user.m0ld",
    ]));
    assert_eq!(k, s);
}

#[test]
fn verify_interrupts_flags_handlers_that_change_observable_state() {
    let out = polyeval(&[
        "verify-interrupts",
        "bridge/tests/interrupts/visible_probe.lua",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "changed the outcome: stdout line 2: expected \"probes seen 0\", got \"probes seen 1\""
        ),
        "{stdout}"
    );
    assert!(
        stdout
            .trim_end()
            .ends_with("changed the outcome: not transparent"),
        "{stdout}"
    );

    let out = polyeval(&[
        "verify-interrupts",
        "examples/interrupts/transfers.lua",
        "unsafe",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("warning: error in probe handler:"),
        "{stdout}"
    );
    assert!(stdout.contains("money lost"), "{stdout}");
}

#[test]
fn interrupt_every_steps_runs_the_programs_probe_handler_each_time() {
    let clean = polyeval(&["run", "bridge/tests/interrupts/visible_probe.lua"]);
    assert_eq!(text(&clean.stdout), "sum 4501500\nprobes seen 0\n");
    for n in ["1", "7"] {
        let out = polyeval(&[
            "run",
            "--interrupt-every-steps",
            n,
            "bridge/tests/interrupts/visible_probe.lua",
        ]);
        let stdout = text(&out.stdout);
        let stderr = text(&out.stderr);
        let seen: u64 = stdout
            .lines()
            .nth(1)
            .and_then(|l| l.strip_prefix("probes seen "))
            .and_then(|v| v.parse().ok())
            .expect("probes seen line");
        let delivered: u64 = stderr
            .trim_end()
            .strip_prefix("interrupts delivered: ")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("stderr: {stderr}"));
        assert!(
            seen > 0,
            "--interrupt-every-steps {n}: no probe reached the handler"
        );
        assert_eq!(seen, delivered, "every delivered interrupt was a probe");
    }
    // Without a handler of its own, a program gets the built-in one, and
    // its output does not change.
    let clean = polyeval(&[
        "run",
        "examples/wordfreq/main.lua",
        "examples/wordfreq/text.txt",
    ]);
    let probed = polyeval(&[
        "run",
        "--interrupt-every-steps",
        "1",
        "examples/wordfreq/main.lua",
        "examples/wordfreq/text.txt",
    ]);
    assert_eq!(probed.stdout, clean.stdout);
    let stderr = text(&probed.stderr);
    let delivered: u64 = stderr
        .trim_end()
        .strip_prefix("interrupts delivered: ")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("stderr: {stderr}"));
    assert!(delivered > 500, "{delivered}");
}

#[test]
fn readme_interrupt_examples_run() {
    let out = polyeval(&["run", "examples/interrupts/warnings.lua"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stderr),
        "Lua warning: disk almost full\n\
         warning: from m0ld (<smop.eval>:2)\n"
    );
    assert_eq!(
        text(&out.stdout),
        "handled by the program: collected at line 19\n"
    );

    let out = polyeval(&["run", "examples/interrupts/user.m0ld"]);
    assert_eq!(
        text(&out.stdout),
        "step 1\n  handler: progress one third\nstep 2\nstep 3 (in a section)\n  \
         handler: progress two thirds\ndone\n"
    );

    let out = polyeval(&["run", "examples/interrupts/timers.lua"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("tick 1 (every 50 ms)\ntick 2 (every 50 ms)\n"),
        "{stdout}"
    );
    assert!(stdout.contains("alarm: stop ticking\n"), "{stdout}");
    let ticks: u32 = stdout
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("ticked "))
        .and_then(|l| l.strip_suffix(" times"))
        .and_then(|v| v.parse().ok())
        .expect("ticked line");
    assert!((2..=5).contains(&ticks), "{stdout}");
}

#[test]
fn readme_signals_example_handles_usr1_hup_and_term() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_polyeval"))
        .args(["run", "examples/interrupts/signals.lua", "20"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut next = || lines.next().and_then(Result::ok).unwrap_or_default();
    assert_eq!(next(), "waiting for signals");
    let pid = child.id().to_string();
    for (sig, want) in [
        ("USR1", "got SIGUSR1 (signal 10)"),
        ("USR2", "got SIGUSR2 (signal 12)"),
        ("HUP", "got SIGHUP (signal 1)"),
        ("TERM", "got SIGTERM (signal 15)"),
    ] {
        let st = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(&pid)
            .status();
        assert!(st.is_ok_and(|s| s.success()));
        assert_eq!(next(), want);
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(next(), "finished cleanly");
    let status = child.wait().expect("exit");
    assert_eq!(status.code(), Some(0));
}

/// Compares `got` with the snapshot `name`, or rewrites it under BLESS=1.
fn snapshot(name: &str, got: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, got).expect("write snapshot");
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with BLESS=1 to create it)", path.display()));
    assert_eq!(got, want, "snapshot {name} differs (BLESS=1 rewrites it)");
}

#[test]
fn diagram_snapshots() {
    for (name, args) in [
        (
            "wordfreq.txt",
            &["examples/wordfreq/main.lua", "examples/wordfreq/text.txt"][..],
        ),
        ("user_m0ld.txt", &["examples/interrupts/user.m0ld"][..]),
        ("transfers.txt", &["examples/interrupts/transfers.lua"][..]),
    ] {
        let mut full = vec!["run", "--diagram"];
        full.extend_from_slice(args);
        let out = polyeval(&full);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        snapshot(name, &text(&out.stderr));
    }
    let svg = std::env::temp_dir().join(format!("polyeval-diagram-{}.svg", std::process::id()));
    let target = format!("--diagram=svg:{}", svg.display());
    let out = polyeval(&["run", &target, "examples/interrupts/user.m0ld"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "", "the SVG goes to its file only");
    let doc = std::fs::read_to_string(&svg).expect("SVG written");
    let _ = std::fs::remove_file(&svg);
    assert!(doc.contains("<svg") && doc.trim_end().ends_with("</svg>"));
    snapshot("user_m0ld.svg", &doc);
}

#[test]
fn diagram_of_a_long_run_stays_small() {
    let out = polyeval(&[
        "run",
        "--quantum",
        "1",
        "--diagram",
        "bridge/tests/interrupts/many_crossings.lua",
        "250000",
    ]);
    assert_eq!(text(&out.stdout), "250000\n");
    let stderr = text(&out.stderr);
    let header = stderr.lines().next().unwrap_or_default();
    let steps: u64 = header
        .strip_prefix("hand-off diagram: ")
        .and_then(|h| h.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("header: {header}"));
    assert!(steps >= 1_000_000, "a million-step run: {header}");
    assert!(stderr.lines().count() <= 12, "{stderr}");
    assert!(stderr.lines().all(|l| l.chars().count() <= 200), "{stderr}");
    assert!(stderr.contains("x25000"), "{stderr}");
}
