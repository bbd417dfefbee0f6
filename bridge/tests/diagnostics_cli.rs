//! End-to-end tests of m0ld diagnostics at scale (issue 9, item 8): the
//! real `polyeval` binary on a call with 70,000 arguments (a located
//! diagnostic naming the limit, not an internal assembler error) and on a
//! 2.7 MB one-line file full of errors (stderr stays small: clipped source
//! lines, at most 50 diagnostics and a count of the rest).

mod common;

use common::TempDir;
use std::process::{Command, Output};

fn polyeval(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polyeval"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("spawn polyeval")
}

#[test]
fn a_call_with_70000_arguments_is_a_located_diagnostic() {
    let dir = TempDir::new("args");
    let args = vec!["1"; 70_000].join(", ");
    let src = format!(
        "my $interpreter; my $scope; my $OUT = $scope.\"lookup\"(\"$OUT\"); $OUT = $OUT.\"FETCH\"();\n\
         \x20 $OUT.\"say\"({args});\n"
    );
    let path = dir.file("args.m0ld", &src);
    for cmd in ["check", "run", "disasm"] {
        let out = polyeval(&[cmd.as_ref(), path.as_os_str()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {stderr}");
        assert!(out.stdout.is_empty(), "{cmd}");
        assert!(
            stderr.starts_with(
                "error: too many positional arguments in one call (70000; at most 65535)\n"
            ),
            "{cmd}: {stderr}"
        );
        assert!(
            stderr.contains(&format!("--> {}:2:3\n", path.display())),
            "{cmd}: {stderr}"
        );
        assert!(!stderr.contains("internal"), "{cmd}: {stderr}");
        assert!(stderr.len() < 2_000, "{cmd}: {} bytes", stderr.len());
    }
}

#[test]
fn a_huge_one_line_file_with_many_errors_gives_small_output() {
    let dir = TempDir::new("huge");
    let mut src = String::new();
    while src.len() < 2_700_000 {
        src.push_str("$x = 1; my $s = \"é€\"; @; goto nowhere; ");
    }
    let path = dir.file("huge.m0ld", &src);
    let out = polyeval(&["check".as_ref(), path.as_os_str()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.len() < 64 << 10, "{} bytes of stderr", stderr.len());
    assert_eq!(stderr.matches("\nerror: ").count() + 1, 50, "{stderr}");
    assert!(
        stderr.starts_with("error: undeclared register $x\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("--> {}:1:1\n", path.display())),
        "{stderr}"
    );
    // The second error: `@` at column 23 (characters, not bytes).
    assert!(
        stderr.contains(&format!(
            "error: unexpected character `@`\n  --> {}:1:23\n",
            path.display()
        )),
        "{stderr}"
    );
    let tail = stderr.lines().last().unwrap_or("");
    assert!(
        tail.starts_with("... and ") && tail.ends_with(" more errors"),
        "{tail}"
    );
    // Every quoted line is a window of the source line.
    for l in stderr.lines().filter(|l| l.starts_with("1 | ")) {
        assert!(l.chars().count() < 200, "{l}");
    }
}
