//! stdout on a terminal: line-buffered, as C stdio is under stock `lua`,
//! and flushed before a read of a terminal on stdin.
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
    let (master, slave) = pty();
    let mut child = Command::new(env!("CARGO_BIN_EXE_polyeval"))
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::from(slave))
        .stderr(Stdio::piped())
        .spawn()
        .expect("polyeval starts");
    let rx = reader(master);
    let mut seen = Vec::new();
    read_until(&rx, &mut seen, b"same stream 42", &mut child);
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

/// What the program writes to the terminal, read on a thread of its own.
fn reader(mut master: std::fs::File) -> mpsc::Receiver<Vec<u8>> {
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
    rx
}

/// Reads from `rx` until `want` appears `n` times in what was read.
/// A line editor discards input typed before it shows its prompt, so a
/// test types each line after the prompt for it.
fn read_until_n(
    rx: &mpsc::Receiver<Vec<u8>>,
    seen: &mut Vec<u8>,
    want: &[u8],
    n: usize,
    child: &mut std::process::Child,
) {
    while seen.windows(want.len()).filter(|w| *w == want).count() < n {
        read_more(rx, seen, want, child);
    }
}

/// Reads one more chunk from `rx`; panics after 20 s.
fn read_more(
    rx: &mpsc::Receiver<Vec<u8>>,
    seen: &mut Vec<u8>,
    want: &[u8],
    child: &mut std::process::Child,
) {
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(chunk) => seen.extend(chunk),
        Err(_) => {
            let _ = child.kill();
            panic!(
                "{:?} did not reach the terminal: {:?}",
                String::from_utf8_lossy(want),
                String::from_utf8_lossy(seen)
            );
        }
    }
}

/// Reads from `rx` until `want` appears in what was read; panics after 20 s.
fn read_until(
    rx: &mpsc::Receiver<Vec<u8>>,
    seen: &mut Vec<u8>,
    want: &[u8],
    child: &mut std::process::Child,
) {
    while !seen.windows(want.len()).any(|w| w == want) {
        read_more(rx, seen, want, child);
    }
}

#[test]
fn a_prompt_before_io_read_shows_on_a_terminal() {
    // As C stdio under stock `lua`: with a terminal on stdin, reading it
    // flushes stdout first, so a prompt with no newline shows.
    let dir = common::TempDir::new("prompt");
    let script = dir.file(
        "prompt.lua",
        "io.write('name? ')\nlocal got = io.read('l')\nprint('hello ' .. got)\n",
    );
    let (master, slave) = pty();
    let slave_in = slave.try_clone().expect("clone the slave side");
    let mut child = Command::new(env!("CARGO_BIN_EXE_polyeval"))
        .arg(&script)
        .stdin(Stdio::from(slave_in))
        .stdout(Stdio::from(slave))
        .stderr(Stdio::piped())
        .spawn()
        .expect("polyeval starts");
    let mut writer = master.try_clone().expect("clone the master side");
    let rx = reader(master);
    let mut seen = Vec::new();
    read_until(&rx, &mut seen, b"name? ", &mut child);
    writer.write_all(b"ada\n").expect("input");
    read_until(&rx, &mut seen, b"hello ada", &mut child);
    let status = child.wait().expect("polyeval ends");
    assert!(status.success(), "{status:?}");
}

/// Starts `polyeval ARGS` with stdin and stdout on a pseudo-terminal;
/// gives the child, a writer to its terminal and what it writes there.
fn on_a_terminal(args: &[&str]) -> (std::process::Child, std::fs::File, mpsc::Receiver<Vec<u8>>) {
    let (master, slave) = pty();
    let slave_in = slave.try_clone().expect("clone the slave side");
    let child = Command::new(env!("CARGO_BIN_EXE_polyeval"))
        .args(args)
        .stdin(Stdio::from(slave_in))
        .stdout(Stdio::from(slave))
        .stderr(Stdio::piped())
        .spawn()
        .expect("polyeval starts");
    let writer = master.try_clone().expect("clone the master side");
    (child, writer, reader(master))
}

#[test]
fn with_no_script_on_a_terminal_the_lua_repl_starts() {
    let (mut child, mut tty, rx) = on_a_terminal(&[]);
    let mut seen = Vec::new();
    read_until(&rx, &mut seen, b"Lua 5.4", &mut child);
    // A chunk over two lines, then a bare expression, as `lua.c` takes
    // them; Ctrl-D at an empty prompt ends the session.
    read_until_n(&rx, &mut seen, b"> ", 1, &mut child);
    tty.write_all(b"function f(x)\r").expect("input");
    read_until(&rx, &mut seen, b">> ", &mut child);
    tty.write_all(b"return x * 2 end\r").expect("input");
    read_until_n(&rx, &mut seen, b"\x1b[K> ", 2, &mut child);
    tty.write_all(b"f(21)\r").expect("input");
    read_until(&rx, &mut seen, b"42\r\n", &mut child);
    read_until_n(&rx, &mut seen, b"\x1b[K> ", 3, &mut child);
    tty.write_all(b"\x04").expect("input");
    let status = child.wait().expect("polyeval ends");
    assert!(status.success(), "{status:?}");
}

#[test]
fn the_m0ld_repl_runs_on_a_terminal() {
    let (mut child, mut tty, rx) = on_a_terminal(&["--lang", "m0ld"]);
    let mut seen = Vec::new();
    let prompt = b"\x1b[K> ";
    read_until_n(&rx, &mut seen, prompt, 1, &mut child);
    tty.write_all(b"my $x = 20;\r").expect("input");
    read_until_n(&rx, &mut seen, prompt, 2, &mut child);
    // Ctrl-C at the prompt drops the line being typed, not the session.
    tty.write_all(b"$x.\"nosuch\"(\x03").expect("input");
    read_until_n(&rx, &mut seen, prompt, 3, &mut child);
    tty.write_all(b"$x.\"infix:+\"(22);\r").expect("input");
    read_until(&rx, &mut seen, b"42\r\n", &mut child);
    read_until_n(&rx, &mut seen, prompt, 4, &mut child);
    tty.write_all(b"\x04").expect("input");
    let status = child.wait().expect("polyeval ends");
    assert!(status.success(), "{status:?}");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
        .expect("stderr");
    assert_eq!(err, "", "the dropped line never ran");
}
