//! The Lua REPL (`polyeval -i`), driven through stdin. Every expected
//! output here was produced by a stock `lua` 5.4.8 built from the
//! lua/lua sources, fed the same input (`lua -i < input`), with its
//! version banner left out.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{kill, Run};

fn polyeval() -> Command {
    Command::new(env!("CARGO_BIN_EXE_polyeval"))
}

/// Runs `polyeval ARGS` with `input` on stdin.
fn repl(args: &[&str], input: &str) -> Run {
    let mut child = polyeval()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("polyeval starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("input written");
    Run::from(child.wait_with_output().expect("polyeval ends"))
}

/// stdout without its first line, the version banner (polyeval's, not
/// Lua's).
fn after_banner(r: &Run) -> &str {
    assert!(r.stdout.starts_with("polyeval "), "{r:?}");
    r.stdout.split_once('\n').map_or("", |(_, rest)| rest)
}

#[test]
fn lines_run_in_order_with_results_printed_and_errors_reported() {
    let r = repl(
        &["-i"],
        "x = 1 + 1\n=x\nx\nfunction f()\nreturn 5, 6\nend\nprint(f())\n\
         error(\"boom\")\nerror({})\nprint(\"after\")\n",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        after_banner(&r),
        "> > 2\n> 2\n> >> >> > 5\t6\n> > > after\n> \n"
    );
    // As stock `lua` 5.4.8 reports them, traceback included.
    assert_eq!(
        r.stderr,
        "stdin:1: boom\nstack traceback:\n\t[C]: in function 'error'\n\tstdin:1: in main chunk\n\t[C]: in ?\n\
         (error object is a table value)\nstack traceback:\n\t[C]: in function 'error'\n\tstdin:1: in main chunk\n\t[C]: in ?\n"
    );
}

#[test]
fn an_incomplete_chunk_at_the_end_of_input_is_a_syntax_error() {
    let r = repl(&["-i"], "if true then\n");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(after_banner(&r), "> >> > \n");
    assert_eq!(r.stderr, "stdin:1: 'end' expected near <eof>\n");
}

#[test]
fn prompts_come_from_the_prompt_globals() {
    let r = repl(
        &["-i"],
        "_PROMPT = \"lua$ \"\n_PROMPT2 = \"...  \"\nlocal t = {\n1, 2,\n3}\n\
         = 1, nil, \"x\"\nprint(select(\"#\", (function() end)()))\n",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        after_banner(&r),
        "> lua$ lua$ ...  ...  lua$ 1\tnil\tx\nlua$ 0\nlua$ \n"
    );
}

#[test]
fn error_values_are_reported_as_lua_reports_them() {
    let r = repl(
        &["-i"],
        "error(setmetatable({}, {__tostring = function() return \"custom\" end}))\n\
         error(42)\nerror()\n",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stderr,
        "custom\n42\nstack traceback:\n\t[C]: in function 'error'\n\tstdin:1: in main chunk\n\t[C]: in ?\n\
         (error object is a nil value)\nstack traceback:\n\t[C]: in function 'error'\n\tstdin:1: in main chunk\n\t[C]: in ?\n",
        "{r:?}"
    );
}

#[test]
fn the_repl_runs_after_the_script_and_reaches_smop() {
    let dir = common::TempDir::new("repl");
    let script = dir.file("setup.lua", "greeting = 'set by the script'\n");
    let r = repl(
        &["-i", script.to_str().expect("utf-8 path")],
        "=greeting\n=smop.eval('my $interpreter; my $x = 40; $x = $x.\"infix:+\"(2);')\n\
         h = smop.lookup('Hash'):new()\n=h:elems()\n",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(after_banner(&r), "> set by the script\n> 42\n> > 0\n> \n");
    // `-e` runs first, then the REPL.
    let r = repl(&["-e", "x = 7", "-i"], "=x * 6\n");
    assert_eq!(after_banner(&r), "> 42\n> \n", "{r:?}");
    // An m0ld program has no REPL yet: a usage error, not a Lua REPL.
    let prog = dir.file("p.m0ld", "my $interpreter;\n");
    let r = repl(&["-i", prog.to_str().expect("utf-8 path")], "");
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn sigint_ends_the_running_line_not_the_repl() {
    let mut child = polyeval()
        .args(["-i"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("polyeval starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(b"print('spinning') io.flush() while true do end\n")
        .expect("input");
    std::thread::sleep(Duration::from_millis(700));
    kill(&child, "INT");
    std::thread::sleep(Duration::from_millis(300));
    stdin.write_all(b"print('alive')\n").expect("input");
    drop(stdin);
    let r = Run::from(child.wait_with_output().expect("polyeval ends"));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(after_banner(&r), "> spinning\n> alive\n> \n", "{r:?}");
    assert!(r.stderr.contains("interrupted!"), "{r:?}");
}
