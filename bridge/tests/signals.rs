//! Real OS signals: a child `polyeval run` gets SIGUSR1 (its Lua handler
//! runs) and then SIGINT with no handler (the interleaved backtrace of
//! where it was, and exit status 130); SIGTERM ends an m0ld program with
//! status 143.

mod common;

use common::kill;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn spawn(file: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_polyeval"))
        .arg("run")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("polyeval starts")
}

/// Lines of the child's stdout, read on a thread.
fn lines(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().expect("stdout piped");
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                return;
            }
        }
    });
    rx
}

fn expect_line(rx: &mpsc::Receiver<String>, want: &str) {
    let got = rx
        .recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("waiting for {want:?}: {e}"));
    assert_eq!(got, want);
}

#[test]
fn sigusr1_runs_the_lua_handler_and_sigint_exits_130_with_a_backtrace() {
    let mut child = spawn("tests/signals/usr1_then_int.lua");
    let rx = lines(&mut child);
    expect_line(&rx, "ready");
    kill(&child, "USR1");
    expect_line(&rx, "handler: SIGUSR1 10");
    expect_line(&rx, "spinning");
    // Give it a moment inside the endless loop, then interrupt it.
    std::thread::sleep(Duration::from_millis(100));
    kill(&child, "INT");
    let out = child.wait_with_output().expect("child ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "stderr: {stderr}");
    assert!(stderr.contains("interrupted by SIGINT"), "stderr: {stderr}");
    assert!(
        stderr.contains("[lua]") && stderr.contains("usr1_then_int.lua:17"),
        "the backtrace names where the loop was: {stderr}"
    );
    assert!(
        stderr.contains("function 'spin'") || stderr.contains("local 'spin'"),
        "{stderr}"
    );
}

#[test]
fn sigterm_without_a_handler_exits_143() {
    let mut child = spawn("tests/signals/forever.m0ld");
    let rx = lines(&mut child);
    expect_line(&rx, "ready");
    kill(&child, "TERM");
    let out = child.wait_with_output().expect("child ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "stderr: {stderr}");
    assert!(
        stderr.contains("interrupted by SIGTERM"),
        "stderr: {stderr}"
    );
    assert!(
        stderr.contains("[smop]") && stderr.contains("forever.m0ld:"),
        "{stderr}"
    );
}
