//! The REPLs (`polyeval -i`), driven through stdin. Every expected
//! output of the Lua REPL here was produced by a stock `lua` 5.4.8 built
//! from the lua/lua sources, fed the same input (`lua -i < input`), with
//! its version banner left out. The m0ld REPL has no stock counterpart;
//! its tests say what it promises.

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
}

/// Runs `polyeval ARGS`, types `first`, sends SIGINT while it runs, then
/// types `then` and ends the input.
fn interrupt_a_line(args: &[&str], first: &[u8], then: &[u8]) -> Run {
    let mut child = polyeval()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("polyeval starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(first).expect("input");
    std::thread::sleep(Duration::from_millis(700));
    kill(&child, "INT");
    std::thread::sleep(Duration::from_millis(300));
    stdin.write_all(then).expect("input");
    drop(stdin);
    Run::from(child.wait_with_output().expect("polyeval ends"))
}

#[test]
fn sigint_ends_the_running_line_not_the_repl() {
    let r = interrupt_a_line(
        &["-i"],
        b"print('spinning') io.flush() while true do end\n",
        b"print('alive')\n",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(after_banner(&r), "> spinning\n> alive\n> \n", "{r:?}");
    assert!(r.stderr.contains("interrupted!"), "{r:?}");
}

#[test]
fn the_m0ld_repl_keeps_one_frame_whose_registers_persist() {
    let r = repl(
        &["-i", "--lang", "m0ld"],
        "my $x = 40;\n$x = $x.\"infix:+\"(2);\n$x\n\
         my $OUT = $scope.\"lookup\"(\"$OUT\");\n$OUT = $OUT.\"FETCH\"();\n\
         $OUT.\"say\"(\"x is \", $x);\n$x.\"infix:*\"(2);\n\
         my $x = 1;\n$x\n",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stderr, "", "{r:?}");
    // Statements show nothing; a bare call shows its result, and a
    // register named alone its value. A second `my $x` is the name's new
    // register from then on.
    assert_eq!(
        after_banner(&r),
        "> > > 42\n> > > x is 42\ntrue\n> 84\n> > 1\n> \n"
    );
}

#[test]
fn the_m0ld_repl_reports_errors_and_goes_on_with_the_registers_kept() {
    let r = repl(
        &["-i", "--lang", "m0ld"],
        "my $n = 5;\n$nosuch = 1;\nmy $m = $n.\"infix:+\"(1);\n\
         $n.\"frobnicate\"();\n$m\n",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(after_banner(&r), "> > > > > 6\n> \n", "{r:?}");
    // A compile error names the line and column and runs nothing; a
    // runtime error ends its line only.
    assert!(
        r.stderr
            .contains("error: undeclared register $nosuch\n  --> stdin:1:1"),
        "{r:?}"
    );
    assert!(
        r.stderr
            .contains("error: stdin:1:1: unknown method \"frobnicate\" for Int"),
        "{r:?}"
    );
}

#[test]
fn an_unfinished_m0ld_chunk_reads_more_lines() {
    let r = repl(
        &["-i", "--lang", "m0ld"],
        "my $Code = $scope.\"lookup\"(\"Code\");\n$Code = $Code.\"FETCH\"();\n\
         my $body = mold {\nmy $interpreter;\nmy $scope;\nmy $r = 7;\n};\n\
         my $f = $Code.\"new\"(:\"outer\"($scope), :\"mold\"($body));\n\
         $f.\"postcircumfix:( )\"();\nmy $cut = mold {\n",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        after_banner(&r),
        "> > > >> >> >> >> > > 7\n> >> \n",
        "{r:?}"
    );
    // Input that ends inside a chunk is its syntax error.
    assert!(r.stderr.contains("unterminated `mold` block"), "{r:?}");
}

#[test]
fn the_m0ld_repl_runs_after_the_script_with_its_registers() {
    let dir = common::TempDir::new("m0ldrepl");
    let prog = dir.file(
        "p.m0ld",
        "my $interpreter;\nmy $scope;\nmy $answer = 6;\n$answer = $answer.\"infix:*\"(7);\n",
    );
    let r = repl(
        &["-i", prog.to_str().expect("utf-8 path")],
        "$answer\n$answer.\"infix:-\"(2);\n",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(after_banner(&r), "> 42\n> 40\n> \n", "{r:?}");
}

#[test]
fn sigint_ends_the_running_m0ld_line_not_the_repl() {
    let r = interrupt_a_line(
        &["-i", "--lang", "m0ld"],
        b"my $n = 3;\nspin: goto spin;\n",
        b"$n.\"infix:+\"(1);\n",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(after_banner(&r), "> > > 4\n> \n", "{r:?}");
    assert!(r.stderr.contains("error: stdin:1:7: interrupted!"), "{r:?}");
}

#[test]
fn m0ld_registers_persist_when_a_line_is_split_into_frames() {
    // Taking a continuation inside a Code splits the line's segment into
    // one continuation per call; the line's own frame still hands its
    // registers to the next line.
    let r = repl(
        &["-i", "--lang", "m0ld"],
        "my $Code = $scope.\"lookup\"(\"Code\");\n$Code = $Code.\"FETCH\"();\n\
         my $body = mold { my $interpreter; my $scope; my $k = $interpreter.\"continuation\"(); \
         $k = $k.\"back\"(); my $r = $k.\"defined\"(); };\n\
         my $f = $Code.\"new\"(:\"outer\"($scope), :\"mold\"($body));\n\
         my $v = $f.\"postcircumfix:( )\"(); my $w = 6;\n$v\n$w\n",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stderr, "", "{r:?}");
    assert_eq!(after_banner(&r), "> > > > > > true\n> 6\n> \n", "{r:?}");
}

#[test]
fn loaders_show_in_tracebacks_as_stock_c_functions() {
    // Outside --lua-stdlib all, `load`, `loadfile` and `dofile` load text
    // only, and stand in a traceback where stock's C functions stand.
    let r = repl(
        &["-i"],
        "dofile('/nonexistent/polyeval.lua')\nload(function() error('rd') end)\nload({})\n",
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stderr,
        "cannot open /nonexistent/polyeval.lua: No such file or directory\nstack traceback:\n\t[C]: in function 'dofile'\n\
         \tstdin:1: in main chunk\n\t[C]: in ?\n\
         stdin:1: bad argument #1 to 'load' (function expected, got table)\nstack traceback:\n\
         \t[C]: in function 'load'\n\tstdin:1: in main chunk\n\t[C]: in ?\n",
        "{r:?}"
    );
}
