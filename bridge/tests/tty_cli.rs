//! stdout on a terminal: line-buffered, as C stdio is under stock `lua`.
//! The program's stdout is a pseudo-terminal here; the test reads a line
//! the program printed while the program still waits for input, which a
//! block-buffered stdout would hold back until the end.
#![cfg(unix)]

mod common;

use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};

/// A pseudo-terminal: (master, slave).
fn pty() -> (std::fs::File, std::fs::File) {
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
    grantpt(&master).expect("grantpt");
    unlockpt(&master).expect("unlockpt");
    let name = ptsname(&master, Vec::new()).expect("ptsname");
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(std::ffi::OsStr::from_bytes(name.as_bytes()))
        .expect("open the slave side");
    (std::fs::File::from(master), slave)
}

#[test]
fn stdout_on_a_terminal_is_line_buffered() {
    let dir = common::TempDir::new("tty");
    let script = dir.file(
        "wait.lua",
        "print('first line')\nio.write('same stream ', 42, '\\n')\n\
         local got = io.read('l')\nprint('after ' .. got)\n",
    );
    let (mut master, slave) = pty();
    let mut child = Command::new(env!("CARGO_BIN_EXE_polyeval"))
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::from(slave))
        .stderr(Stdio::piped())
        .spawn()
        .expect("polyeval starts");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 256];
        // The read fails (EIO) once the program has closed the terminal.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let want = b"same stream 42";
    while !seen.windows(want.len()).any(|w| w == want) {
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(chunk) => seen.extend(chunk),
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "the lines printed before io.read() did not reach the terminal: {:?}",
                    String::from_utf8_lossy(&seen)
                );
            }
        }
    }
    let text = String::from_utf8_lossy(&seen).into_owned();
    assert!(text.contains("first line"), "{text:?}");
    assert!(!text.contains("after"), "{text:?}");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"go\n").expect("input");
    drop(stdin);
    let status = child.wait().expect("polyeval ends");
    assert!(status.success(), "{status:?}");
    while let Ok(chunk) = rx.recv_timeout(Duration::from_secs(5)) {
        seen.extend(chunk);
    }
    let text = String::from_utf8_lossy(&seen).into_owned();
    assert!(text.contains("after go"), "{text:?}");
}
