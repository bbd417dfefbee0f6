//! End-to-end tests of the `polyeval` binary (docs/design.md §7, README "The command
//! line"): each test spawns the real executable on small m0ld files written
//! to a private temporary directory and checks exit status, stdout and
//! stderr.
//!
//! Covered: `run` (success, runtime error with located message and
//! backtrace, `--trace`, `--max-steps`, `--quantum`, program arguments),
//! `check`, `disasm`, compile errors, and usage errors (exit status 2);
//! Lua programs: the mixed example, `--lua-stdlib`, `--lua-memory-limit`,
//! `--lua-quantum`, syntax errors, and an uncaught error's interleaved
//! backtrace.

mod common;

use common::{Run, TempDir};
use std::path::Path;
use std::process::{Command, Output};

/// The bundled example at the workspace root.
const FIB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/fib.m0ld");

fn polyeval<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out: Output = Command::new(env!("CARGO_BIN_EXE_polyeval"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .expect("spawn polyeval");
    Run::from(out)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

/// Preamble every program starts with: the interpreter, the prelude scope,
/// `$OUT` and `Code`.
const PRELUDE: &str = r#"my $interpreter;
my $scope;
my $OUT = $scope."lookup"("$OUT");
$OUT = $OUT."FETCH"();
my $Code = $scope."lookup"("Code");
$Code = $Code."FETCH"();
"#;

/// A terminating program with a loop, Code calls (both return protocols),
/// containers and several lines of output.
fn busy_program() -> String {
    format!(
        r#"{PRELUDE}my $body = mold {{
    my $interpreter;
    my $scope;
    my $capture;
    my $n = $capture."positional"(0);
    my $r = $n."infix:*"($n);
}};
my $square = $Code."new"(:"outer"($scope), :"mold"($body));
my $twice = mold {{
    my $interpreter;
    my $scope;
    my $capture;
    my $n = $capture."positional"(0);
    my $r = $n."infix:+"($n);
    my $k = $interpreter."continuation"();
    my $back = $k."back"();
    $back."setr"($r);
    $interpreter."goto"($back);
}};
my $double = $Code."new"(:"outer"($scope), :"mold"($twice));
my $i = 0;
my $sum = 0;
top: $i = $i."infix:+"(1);
my $sq = $square."postcircumfix:( )"($i);
my $d = $double."postcircumfix:( )"($sq);
$sum = $sum."infix:+"($d);
$OUT."say"("i=", $i, " sq=", $sq, " 2sq=", $d, " sum=", $sum);
my $more = $i."infix:<"(12);
if $more {{ goto top }};
goto done;
$OUT."say"("not reached");
done: $OUT."print"("total ", $sum, "\n");
"#
    )
}

/// The stdout of [`busy_program`].
fn busy_expected() -> String {
    let mut want = String::new();
    let mut sum = 0;
    for i in 1..=12 {
        let sq = i * i;
        sum += 2 * sq;
        want.push_str(&format!("i={i} sq={sq} 2sq={} sum={sum}\n", 2 * sq));
    }
    want.push_str(&format!("total {sum}\n"));
    want
}

#[test]
fn run_good_program_prints_exactly_its_output() {
    let dir = TempDir::new("good");
    let prog = dir.file(
        "good.m0ld",
        &format!(
            "{PRELUDE}$OUT.\"print\"(\"Hello, \", \"world\", \"!\\n\");\n\
             $OUT.\"say\"(1, \" \", 2.5, \" \", -3);\n"
        ),
    );
    let r = polyeval(["run", s(&prog)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "Hello, world!\n1 2.5 -3\n", "{r:?}");
    assert_eq!(r.stderr, "", "{r:?}");
}

#[test]
fn run_runtime_error_exits_1_with_location_and_backtrace() {
    let dir = TempDir::new("rterr");
    // Line 7 prints; the Code body's die is on line 11, column 5; the call
    // to the Code is on line 13, column 1.
    let src = format!(
        "{PRELUDE}$OUT.\"say\"(\"before\");\n\
         my $body = mold {{\n\
         \x20   my $interpreter;\n\
         \x20   my $scope;\n\
         \x20   $interpreter.\"die\"(\"boom\");\n\
         }};\n\
         my $c = $Code.\"new\"(:\"outer\"($scope), :\"mold\"($body));\n\
         $c.\"postcircumfix:( )\"();\n\
         $OUT.\"say\"(\"after\");\n"
    );
    assert_eq!(
        src.lines().nth(10),
        Some("    $interpreter.\"die\"(\"boom\");")
    );
    let prog = dir.file("rterr.m0ld", &src);
    let path = s(&prog);
    let r = polyeval(["run", path]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.stdout, "before\n", "only output before the error: {r:?}");
    assert!(
        r.stderr.contains(&format!("error: {path}:11:5: boom")),
        "{r:?}"
    );
    let bt = r
        .stderr
        .find("backtrace (innermost first):")
        .unwrap_or_else(|| panic!("no backtrace block: {r:?}"));
    let frames: Vec<&str> = r.stderr[bt..].lines().skip(1).collect();
    assert_eq!(frames.len(), 2, "callee and main: {r:?}");
    assert!(frames[0].contains(&format!("[smop] {path}:11:5")), "{r:?}");
    assert!(frames[1].contains(&format!("[smop] {path}:14:1")), "{r:?}");
    assert!(frames[1].ends_with("in main"), "{r:?}");
}

#[test]
fn compile_error_exits_2_for_run_and_check_with_source_line() {
    let dir = TempDir::new("cerr");
    let bad_line = "my $y = $OUT.\"say\"(1,, 2);";
    let prog = dir.file(
        "bad.m0ld",
        &format!("my $interpreter;\nmy $scope;\nmy $OUT;\n{bad_line}\n"),
    );
    let path = s(&prog);
    for cmd in ["run", "check"] {
        let r = polyeval([cmd, path]);
        assert_eq!(r.code, 2, "{cmd}: {r:?}");
        assert_eq!(r.stdout, "", "{cmd}: {r:?}");
        assert!(r.stderr.contains("error"), "{cmd}: {r:?}");
        assert!(r.stderr.contains(&format!("{path}:4:22")), "{cmd}: {r:?}");
        assert!(r.stderr.contains(bad_line), "{cmd}: {r:?}");
    }
    // An undeclared register is a compile error too, located at its use.
    let undeclared = dir.file("undeclared.m0ld", "my $interpreter;\n$nope = 1;\n");
    let r = polyeval(["check", s(&undeclared)]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains(&format!("{}:2:1", s(&undeclared))),
        "{r:?}"
    );
}

#[test]
fn check_good_file_is_silent_and_does_not_run_it() {
    let dir = TempDir::new("check");
    let prog = dir.file("good.m0ld", &busy_program());
    let r = polyeval(["check", s(&prog)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "", "check must not run the program: {r:?}");
    assert_eq!(r.stderr, "", "{r:?}");
    // A program that would fail at run time still checks fine.
    let fails = dir.file(
        "fails.m0ld",
        "my $interpreter;\n$interpreter.\"die\"(\"x\");\n",
    );
    let r = polyeval(["check", s(&fails)]);
    assert_eq!(r.code, 0, "{r:?}");
}

fn assert_usage_error(r: &Run, what: &str, needle: &str) {
    assert_eq!(r.code, 2, "{what}: {r:?}");
    assert_eq!(r.stdout, "", "{what}: stdout must stay clean: {r:?}");
    assert!(r.stderr.contains(needle), "{what}: want {needle:?}: {r:?}");
}

#[test]
fn usage_errors_exit_2() {
    let dir = TempDir::new("usage");
    let good = dir.file("ok.m0ld", &format!("{PRELUDE}$OUT.\"say\"(\"ran\");\n"));
    let txt = dir.file("x.txt", &format!("{PRELUDE}$OUT.\"say\"(\"ran\");\n"));
    let missing = dir.0.join("does-not-exist.m0ld");

    assert_usage_error(
        &polyeval(["frobnicate"]),
        "unknown subcommand",
        "frobnicate",
    );
    // No arguments and stdin not a terminal: as `lua`, the program is
    // read from stdin (here empty, so nothing runs).
    let r = polyeval::<[&str; 0], &str>([]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{r:?}");
    assert_usage_error(&polyeval(["run"]), "run without a file", "<FILE>");
    assert_usage_error(&polyeval(["check"]), "check without a file", "<FILE>");
    assert_usage_error(&polyeval(["disasm"]), "disasm without a file", "<FILE>");
    assert_usage_error(
        &polyeval(["run", s(&missing)]),
        "nonexistent file",
        "does-not-exist.m0ld",
    );
    assert_usage_error(
        &polyeval(["check", s(&missing)]),
        "check of a nonexistent file",
        "does-not-exist.m0ld",
    );
    // Any name but .m0ld is Lua: m0ld source in x.txt is a Lua syntax error.
    assert_usage_error(&polyeval(["run", s(&txt)]), "run x.txt", "x.txt");
    assert_usage_error(&polyeval(["check", s(&txt)]), "check x.txt", "x.txt");
    assert_usage_error(
        &polyeval(["run", "--quantum", "0", s(&good)]),
        "--quantum 0",
        "--quantum",
    );
    assert_usage_error(
        &polyeval(["run", "--quantum", "lots", s(&good)]),
        "--quantum lots",
        "--quantum",
    );
    assert_usage_error(
        &polyeval(["run", "--max-steps", "many", s(&good)]),
        "--max-steps many",
        "--max-steps",
    );
    assert_usage_error(
        &polyeval(["run", "--no-such-flag", s(&good)]),
        "unknown flag",
        "--no-such-flag",
    );
    // The control: the same good file runs.
    let r = polyeval(["run", s(&good)]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "ran\n"), "{r:?}");
}

/// The mnemonics of a disassembly: the word after each instruction offset.
fn mnemonics(disasm: &str) -> std::collections::BTreeSet<String> {
    disasm
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let offset = words.next()?;
            offset.parse::<u32>().ok()?;
            words.next().map(str::to_owned)
        })
        .collect()
}

#[test]
fn disasm_prints_the_mold() {
    let dir = TempDir::new("disasm");
    let prog = dir.file("busy.m0ld", &busy_program());
    let r = polyeval(["disasm", s(&prog)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stderr, "", "{r:?}");
    assert!(r.stdout.starts_with("mold main"), "{r:?}");
    assert!(r.stdout.contains(s(&prog)), "names the file: {r:?}");
    for reg in [
        "r0 = $interpreter",
        "r1 = $scope",
        "r2 = $OUT",
        "r3 = $Code",
    ] {
        assert!(r.stdout.contains(reg), "want {reg:?}: {r:?}");
    }
    // The nested Code bodies are listed with their own registers.
    assert!(r.stdout.contains("r2 = $capture"), "{r:?}");
    assert!(r.stdout.contains("const \"$OUT\""), "{r:?}");
    let ops = mnemonics(&r.stdout);
    for op in ["call0", "call1", "call", "move", "goto", "if"] {
        assert!(ops.contains(op), "want mnemonic {op}, got {ops:?}: {r:?}");
    }
    // Disassembling does not run the program.
    assert!(!r.stdout.contains("total 1300"), "{r:?}");
}

#[test]
fn disasm_rejects_non_m0ld_and_bad_source() {
    let dir = TempDir::new("disasm-bad");
    let txt = dir.file("prog.txt", &busy_program());
    let r = polyeval(["disasm", s(&txt)]);
    assert_usage_error(&r, "disasm prog.txt", "prog.txt");
    let bad = dir.file("bad.m0ld", "my $interpreter;\nmy $x = ;\n");
    let r = polyeval(["disasm", s(&bad)]);
    assert_usage_error(&r, "disasm of a compile error", &format!("{}:2:", s(&bad)));
}

#[test]
fn trace_reports_events_on_stderr_and_leaves_stdout_alone() {
    let dir = TempDir::new("trace");
    let prog = dir.file("busy.m0ld", &busy_program());
    let plain = polyeval(["run", s(&prog)]);
    assert_eq!(plain.code, 0, "{plain:?}");
    assert_eq!(plain.stdout, busy_expected(), "{plain:?}");
    assert_eq!(plain.stderr, "", "no events without --trace: {plain:?}");

    let traced = polyeval(["run", "--trace", s(&prog)]);
    assert_eq!(traced.code, 0, "{traced:?}");
    assert_eq!(traced.stdout, plain.stdout, "{traced:?}");
    for event in ["goto", "setr", "return"] {
        assert!(
            traced.stderr.lines().any(|l| l.contains(event)),
            "want a {event} event: {traced:?}"
        );
    }
    // Every event names the interpreter it goes to.
    assert!(traced.stderr.contains("to=\"smop\""), "{traced:?}");
    // `hand-off` marks a goto between *different* interpreters
    // (ARCHITECTURE "Tracing"); a SMOP-only program never has one.
    assert!(!traced.stderr.contains("hand-off"), "{traced:?}");
    // 12 iterations, each calling a Code that falls off its end (a
    // `return` event with its `setr`) and one that returns explicitly
    // (`setr` then `goto`).
    let count = |word: &str| {
        traced
            .stderr
            .lines()
            .filter(|l| l.split_whitespace().nth(1) == Some(word))
            .count()
    };
    assert!(count("return") >= 12, "{traced:?}");
    assert!(count("setr") >= 24, "{traced:?}");
    assert!(count("goto") >= 36, "{traced:?}");
}

#[test]
fn max_steps_stops_a_looping_program() {
    let dir = TempDir::new("budget");
    let prog = dir.file(
        "forever.m0ld",
        &format!(
            "{PRELUDE}my $body = mold {{\n    my $interpreter;\n}};\n\
             my $c = $Code.\"new\"(:\"outer\"($scope), :\"mold\"($body));\n\
             forever: $c.\"postcircumfix:( )\"();\n\
             goto forever;\n"
        ),
    );
    let r = polyeval(["run", "--max-steps", "300", s(&prog)]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.stdout, "", "{r:?}");
    assert!(
        r.stderr
            .contains("step budget exceeded: stopped after 300 steps"),
        "{r:?}"
    );
    assert!(r.stderr.contains(s(&prog)), "names where it stopped: {r:?}");

    // A budget large enough for a terminating program does not get in the
    // way.
    let busy = dir.file("busy.m0ld", &busy_program());
    let r = polyeval(["run", "--max-steps", "100000", s(&busy)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, busy_expected(), "{r:?}");
    // ... and a small one stops it after partial output.
    let r = polyeval(["run", "--max-steps", "10", s(&busy)]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("stopped after 10 steps"), "{r:?}");
    assert!(busy_expected().starts_with(&r.stdout), "{r:?}");
}

#[test]
fn quanta_give_identical_output() {
    let dir = TempDir::new("quanta");
    let prog = dir.file("busy.m0ld", &busy_program());
    let want = busy_expected();
    let default = polyeval(["run", s(&prog)]);
    assert_eq!(default.code, 0, "{default:?}");
    assert_eq!(default.stdout, want, "{default:?}");
    for q in ["1", "2", "7", "unbounded"] {
        let r = polyeval(["run", "--quantum", q, s(&prog)]);
        assert_eq!(r.code, 0, "quantum {q}: {r:?}");
        assert_eq!(r.stdout, default.stdout, "quantum {q}: {r:?}");
        assert_eq!(r.stderr, "", "quantum {q}: {r:?}");
    }
    // The quantum changes how many steps a run takes: quantum 1 needs more
    // steps than unbounded, so a budget between the two tells them apart.
    let budget = ["--max-steps", "100"];
    let one = polyeval(["run", budget[0], budget[1], "--quantum", "1", s(&prog)]);
    assert_eq!(one.code, 1, "quantum 1 overruns 100 steps: {one:?}");
    let unb = polyeval([
        "run",
        budget[0],
        budget[1],
        "--quantum",
        "unbounded",
        s(&prog),
    ]);
    assert_eq!(unb.code, 0, "unbounded fits in 100 steps: {unb:?}");
    assert_eq!(unb.stdout, want, "{unb:?}");
}

#[test]
fn program_arguments_reach_args() {
    let r = polyeval(["run", FIB, "10"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "fib(10) = 55\n", "{r:?}");
    assert_eq!(r.stderr, "", "{r:?}");
    let r = polyeval(["run", FIB]);
    assert_eq!(r.stdout, "fib(20) = 6765\n", "default N: {r:?}");

    // Arguments after the file are the program's, even when they look like
    // flags; flags before the file are polyeval's.
    let dir = TempDir::new("args");
    let prog = dir.file(
        "args.m0ld",
        &format!(
            "{PRELUDE}my $args = $scope.\"lookup\"(\"@ARGS\");\n\
             $args = $args.\"FETCH\"();\n\
             my $n = $args.\"elems\"();\n\
             $OUT.\"say\"(\"n=\", $n);\n\
             my $i = 0;\n\
             next: my $more = $i.\"infix:<\"($n);\n\
             if $more {{ goto show }} else {{ goto end }};\n\
             show: my $a = $args.\"postcircumfix:[ ]\"($i);\n\
             $a = $a.\"FETCH\"();\n\
             $OUT.\"say\"(\"[\", $a, \"]\");\n\
             $i = $i.\"infix:+\"(1);\n\
             goto next;\n\
             end: noop;\n"
        ),
    );
    let r = polyeval([
        "run",
        "--quantum",
        "3",
        s(&prog),
        "a b",
        "--trace",
        "-x",
        "",
        "7",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "n=5\n[a b]\n[--trace]\n[-x]\n[]\n[7]\n", "{r:?}");
    assert_eq!(
        r.stderr, "",
        "--trace after the file is not polyeval's: {r:?}"
    );
    let r = polyeval(["run", s(&prog)]);
    assert_eq!(r.stdout, "n=0\n", "{r:?}");
}

// ----- Lua (issue 3) -----------------------------------------------------

const WORDFREQ: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/wordfreq/main.lua");

#[test]
fn run_lua_mixed_example_with_arguments() {
    let r = polyeval(["run", WORDFREQ, WORDFREQ, "3"]);
    assert_eq!(r.code, 0, "{r:?}");
    // Counting its own source: a header and three lines.
    assert_eq!(r.stdout.lines().count(), 4, "{r:?}");
    assert!(
        r.stdout.contains("distinct after normalizing; top 3:"),
        "{r:?}"
    );
}

#[test]
fn lua_flags_are_parsed_and_checked() {
    let dir = TempDir::new("luaflags");
    let p = dir.file("std.lua", "print(type(debug), type(io))\n");
    let safe = polyeval(["run", s(&p)]);
    assert_eq!(
        (safe.code, safe.stdout.as_str()),
        (0, "nil\ttable\n"),
        "{safe:?}"
    );
    let all = polyeval(["run", "--lua-stdlib", "all", s(&p)]);
    assert_eq!(
        (all.code, all.stdout.as_str()),
        (0, "table\ttable\n"),
        "{all:?}"
    );
    let sandbox = polyeval(["run", "--lua-stdlib", "sandbox", s(&p)]);
    assert_eq!(
        (sandbox.code, sandbox.stdout.as_str()),
        (0, "nil\tnil\n"),
        "{sandbox:?}"
    );
    let bad = polyeval(["run", "--lua-stdlib", "everything", s(&p)]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("safe, all or sandbox"), "{bad:?}");
    let mem = dir.file("mem.lua", "print(pcall(string.rep, 'x', 1e8))\n");
    let limited = polyeval(["run", "--lua-memory-limit", "10000000", s(&mem)]);
    assert_eq!(
        (limited.code, limited.stdout.as_str()),
        (0, "false\tnot enough memory\n"),
        "{limited:?}"
    );
    let no_hook = polyeval(["run", "--lua-quantum", "0", s(&p)]);
    assert_eq!(no_hook.code, 0, "{no_hook:?}");
}

#[test]
fn check_and_run_report_lua_syntax_errors_with_exit_2() {
    let dir = TempDir::new("luasyntax");
    let p = dir.file("bad.lua", "local x = 1\nlocal y = = 2\n");
    for cmd in ["check", "run"] {
        let r = polyeval([cmd, s(&p)]);
        assert_eq!(r.code, 2, "{cmd}: {r:?}");
        assert!(r.stderr.contains("bad.lua:2:"), "{cmd}: {r:?}");
        assert!(r.stdout.is_empty(), "{cmd}: {r:?}");
    }
    let good = dir.file("good.lua", "return 1\n");
    assert_eq!(polyeval(["check", s(&good)]).code, 0);
}

#[test]
fn uncaught_lua_error_through_m0ld_exits_1_with_an_interleaved_backtrace() {
    let dir = TempDir::new("luaerr");
    let p = dir.file(
        "main.lua",
        r#"local apply = smop.eval([[
my $interpreter;
my $scope;
my $Code = $scope."lookup"("Code");
$Code = $Code."FETCH"();
my $body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $f = $capture."positional"(0);
    my $r = $f."postcircumfix:( )"();
};
my $c = $Code."new"(:"outer"($scope), :"mold"($body));
]])
apply(function() error("deep trouble") end)
"#,
    );
    let r = polyeval(["run", s(&p)]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("main.lua:15: deep trouble"), "{r:?}");
    let lua_frame = r.stderr.find("[lua]").expect("a Lua frame");
    let smop_frame = r
        .stderr
        .find("[smop] <smop.eval>:10:5")
        .expect("an m0ld frame");
    assert!(lua_frame < smop_frame, "innermost first: {r:?}");
    assert!(r.stderr.contains("in main chunk"), "{r:?}");
}

#[test]
fn lua_source_may_hold_any_bytes() {
    // Latin-1 text in a string and a comment: stock Lua accepts any bytes.
    let dir = TempDir::new("latin1");
    let p = dir.0.join("latin1.lua");
    std::fs::write(
        &p,
        b"-- caf\xe9\nlocal s = \"caf\xe9\"\nprint(#s, s:byte(4))\n".as_slice(),
    )
    .expect("write");
    let r = polyeval(["run", s(&p)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "4\t233\n", "{r:?}");
    let r = polyeval(["check", s(&p)]);
    assert_eq!(r.code, 0, "{r:?}");
    // m0ld stays UTF-8: a clear diagnostic, not a crash.
    let m = dir.0.join("latin1.m0ld");
    std::fs::write(&m, b"my $interpreter; # caf\xe9\n".as_slice()).expect("write");
    let r = polyeval(["check", s(&m)]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("not valid UTF-8"), "{r:?}");
}

#[test]
fn finalizers_run_and_print_at_exit() {
    // As stock Lua's lua_close: pending finalizers run when the program
    // ends, and their output is not lost (no "Lua instance is destroyed").
    let dir = TempDir::new("gcexit");
    let p = dir.file(
        "gcexit.lua",
        "keep = setmetatable({}, {__gc = function() print('finalized', 1); io.write('written\\n') end})\n\
         print('main done')\n",
    );
    let r = polyeval(["run", s(&p)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout, "main done\nfinalized\t1\nwritten\n", "{r:?}");
    assert!(!r.stderr.contains("panicked"), "{r:?}");
}

#[test]
fn os_exit_checks_its_arguments_and_closes_the_state_as_stock_lua() {
    // Exit statuses and messages as stock Lua 5.4.8's `lua` gives them
    // (taken from a `lua` built from the vendored sources).
    let dir = TempDir::new("osexit");
    let cases: [(&str, i32, Option<&str>); 9] = [
        ("os.exit(2.0)", 2, None),
        ("os.exit('7')", 7, None),
        ("os.exit(true)", 0, None),
        ("os.exit(false)", 1, None),
        ("os.exit()", 0, None),
        (
            "os.exit({})",
            1,
            Some("bad argument #1 to 'exit' (number expected, got table)"),
        ),
        (
            "os.exit(2.5)",
            1,
            Some("bad argument #1 to 'exit' (number has no integer representation)"),
        ),
        (
            "os.exit('x')",
            1,
            Some("bad argument #1 to 'exit' (number expected, got string)"),
        ),
        ("print(pcall(os.exit, {}))", 0, None),
    ];
    for (i, (src, code, err)) in cases.iter().enumerate() {
        let p = dir.file(&format!("e{i}.lua"), src);
        let r = polyeval([s(&p)]);
        assert_eq!(r.code, *code, "{src}: {r:?}");
        if let Some(e) = err {
            assert!(r.stderr.contains(e), "{src}: {r:?}");
        }
    }
    // With `close`, pending to-be-closed variables and finalizers run
    // before the process ends, and buffered output is not lost.
    let p = dir.file(
        "close.lua",
        "local t <close> = setmetatable({}, {__close = function() print('closed main tbc') end})\n\
         setmetatable({}, {__gc = function() print('finalized') end})\n\
         io.write('buffered ')\n\
         local function f()\n\
           local u <close> = setmetatable({}, {__close = function() print('closed inner') end})\n\
           os.exit(3, true)\n\
         end\n\
         f()\n",
    );
    let r = polyeval([s(&p)]);
    assert_eq!(r.code, 3, "{r:?}");
    assert_eq!(
        r.stdout, "buffered closed inner\nclosed main tbc\nfinalized\n",
        "{r:?}"
    );
    assert!(!r.stderr.contains("panicked"), "{r:?}");
}

#[test]
fn the_command_line_reads_like_lua() {
    let dir = TempDir::new("luacli");
    let script = dir.file(
        "args.lua",
        "#!/usr/bin/env polyeval\n\
         local t = {}\n\
         for i = -3, #arg do t[#t + 1] = tostring(arg[i]) end\n\
         print(table.concat(t, ' '))\n\
         print(x, lib and lib.name, g and g.name)\n",
    );
    dir.file("mylib.lua", "return {name = 'mylib'}\n");
    let script_s = s(&script).to_owned();
    // Without `run`: options, then the script and its arguments.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_polyeval"))
        .current_dir(&dir.0)
        .args([
            "-e",
            "x = 40 + 2",
            "-lmylib",
            "-l",
            "g=mylib",
            &script_s,
            "a",
            "-e",
        ])
        .env_remove("LUA_INIT")
        .env_remove("LUA_INIT_5_4")
        .output()
        .expect("spawn");
    let r = Run::from(out);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(
        r.stdout,
        format!("-lmylib -l g=mylib {script_s} a -e\n42\tnil\tmylib\n"),
        "arg[-3..#arg], the shebang line skipped, -e and -l run first: {r:?}"
    );
    // -l mod sets the global of that name.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_polyeval"))
        .current_dir(&dir.0)
        .args(["-l", "mylib", "-e", "print(mylib.name, arg[0] ~= nil)"])
        .env_remove("LUA_INIT")
        .env_remove("LUA_INIT_5_4")
        .output()
        .expect("spawn");
    let r = Run::from(out);
    assert_eq!((r.code, r.stdout.as_str()), (0, "mylib\ttrue\n"), "{r:?}");
    // LUA_INIT runs first, unless -E.
    let init = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_polyeval"))
            .args(extra)
            .args(["-e", "print(y)"])
            .env("LUA_INIT", "y = 'from init'")
            .env_remove("LUA_INIT_5_4")
            .output()
            .expect("spawn");
        Run::from(out)
    };
    assert_eq!(init(&[]).stdout, "from init\n");
    assert_eq!(init(&["-E"]).stdout, "nil\n");
    // `-` reads the script from stdin; so does no script with stdin a pipe.
    for words in [&["-", "p"][..], &[][..]] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_polyeval"))
            .args(words)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .env_remove("LUA_INIT")
            .spawn()
            .expect("spawn");
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(b"print('from stdin', arg[1])\n")
            .expect("write");
        let r = Run::from(child.wait_with_output().expect("wait"));
        let want = if words.is_empty() {
            "from stdin\tnil\n"
        } else {
            "from stdin\tp\n"
        };
        assert_eq!((r.code, r.stdout.as_str()), (0, want), "{words:?}: {r:?}");
    }
    // -v, a bad option (lua's message and usage), --lang on a file of any name.
    let r = polyeval(["--help"]);
    assert!(
        r.code == 0 && r.stdout.contains("one run loop") && r.stdout.contains("-e stat"),
        "--help describes polyeval and its lua-style options: {r:?}"
    );
    let r = polyeval(["-v"]);
    assert!(r.code == 0 && r.stdout.starts_with("polyeval "), "{r:?}");
    let r = polyeval(["-x"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("unrecognized option '-x'") && r.stderr.contains("usage:"),
        "{r:?}"
    );
    let m = dir.file(
        "prog.txt",
        &format!("{PRELUDE}$OUT.\"say\"(\"m0ld ran\");\n"),
    );
    let r = polyeval(["--lang", "m0ld", s(&m)]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "m0ld ran\n"), "{r:?}");
    let r = polyeval(["run", "--lang", "m0ld", s(&m)]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "m0ld ran\n"), "{r:?}");
}

#[test]
fn a_closed_pipe_ends_the_program_quietly() {
    // `polyeval x.lua | head -1`: as SIGPIPE ends `lua`, no message, no
    // backtrace; status 141 (128 + SIGPIPE), for Lua's print and m0ld's say.
    let dir = TempDir::new("pipe");
    let lua = dir.file(
        "loop.lua",
        "local i = 0\nwhile true do i = i + 1; print('line', i) end\n",
    );
    let m0ld = dir.file(
        "loop.m0ld",
        &format!("{PRELUDE}loop: $OUT.\"say\"(\"line\");\ngoto loop;\n"),
    );
    for f in [&lua, &m0ld] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_polyeval"))
            .args(["run", s(f)])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut out = child.stdout.take().expect("stdout");
        let mut first = [0u8; 4];
        std::io::Read::read_exact(&mut out, &mut first).expect("first bytes");
        drop(out);
        let start = std::time::Instant::now();
        let r = Run::from(child.wait_with_output().expect("wait"));
        assert_eq!(r.code, 141, "{f:?}: {r:?}");
        assert_eq!(r.stderr, "", "{f:?}");
        assert!(start.elapsed() < std::time::Duration::from_secs(10));
        assert_eq!(&first, b"line");
    }
}
