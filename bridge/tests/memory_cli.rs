//! Running out of memory, as a user meets it (README "Memory"): each test
//! spawns the real `polyeval` binary, which counts its heap, on programs
//! that grow memory past `--memory-limit` or past an address-space limit
//! (`ulimit -v`), and checks the exit status, the error message and that
//! every line printed before is there.
//!
//! Covered: m0ld growing an Array, a Hash and a string (`infix:~`),
//! uncaught (exit 1) and caught by a frame's `catch`; Lua growing a string
//! and a table (`pcall` sees "not enough memory"; uncaught exits 1);
//! strings crossing between Lua and m0ld many times, and copies refused
//! at the crossing; `--lua-memory-limit` as a sub-limit; usage errors; and
//! the same programs under `ulimit -v` with no `--memory-limit`.

mod common;

use common::{Run, TempDir};
use std::path::Path;
use std::process::Command;

fn polyeval<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Run::from(
        Command::new(env!("CARGO_BIN_EXE_polyeval"))
            .args(args)
            .env_remove("POLYEVAL_LOG")
            .output()
            .expect("spawn polyeval"),
    )
}

/// `polyeval ARGS...` under `ulimit -v KIB` (through the shell, as a user
/// would run it).
#[cfg(target_os = "linux")]
fn polyeval_ulimit(kib: u64, args: &[&str]) -> Run {
    Run::from(
        Command::new("bash")
            .arg("-c")
            .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_polyeval"))
            .args(args)
            .env_remove("POLYEVAL_LOG")
            .output()
            .expect("spawn bash"),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

/// How many lines every program prints before it grows: more than a
/// buffer's worth, so that a lost buffer would show.
const LINES: usize = 2000;

/// The lines programs print before growing.
fn expected_lines() -> String {
    (0..LINES).map(|i| format!("line {i}\n")).collect()
}

/// m0ld that prints [`LINES`] lines, then runs `body` (which grows
/// memory) in a Code; with `catch`, a handler returns the error's message
/// and the program prints it and "after".
fn m0ld_program(body: &str, catch: bool) -> String {
    let catch_src = if catch {
        r#"my $handler_body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $err = $capture."positional"(0);
    my $msg = $err."message"();
};
my $handler = $Code."new"(:"outer"($scope), :"mold"($handler_body));
my $k = $interpreter."continuation"();
$k."catch"($handler);
"#
    } else {
        ""
    };
    format!(
        r#"my $interpreter;
my $scope;
my $OUT = $scope."lookup"("$OUT");
$OUT = $OUT."FETCH"();
my $Code = $scope."lookup"("Code");
$Code = $Code."FETCH"();
my $i = 0;
print: $OUT."say"("line ", $i);
$i = $i."infix:+"(1);
my $more = $i."infix:<"({LINES});
if $more {{ goto print }} else {{ goto printed }};
printed: noop;
{catch_src}my $grow_body = mold {{
    my $interpreter;
    my $scope;
    my $capture;
{body}
}};
my $grow = $Code."new"(:"outer"($scope), :"mold"($grow_body));
my $r = $grow."postcircumfix:( )"();
$OUT."say"("caught: ", $r);
$OUT."say"("after");
"#
    )
}

/// Grows an Array by `push` forever.
const GROW_ARRAY: &str = r#"    my $Array = $scope."lookup"("Array");
    $Array = $Array."FETCH"();
    my $a = $Array."new"();
    my $n = 0;
    more: $a."push"($n, $n, $n, $n, $n, $n, $n, $n);
    $n = $n."infix:+"(1);
    goto more;"#;

/// Grows a Hash by storing new keys forever.
const GROW_HASH: &str = r#"    my $Hash = $scope."lookup"("Hash");
    $Hash = $Hash."FETCH"();
    my $h = $Hash."new"();
    my $n = 0;
    more: my $e = $h."postcircumfix:{ }"($n);
    $e."STORE"($n);
    $n = $n."infix:+"(1);
    goto more;"#;

/// Doubles a string with `infix:~` forever.
const GROW_STRING: &str = r#"    my $s = "x";
    more: $s = $s."infix:~"($s);
    goto more;"#;

const LIMIT: &str = "16000000";
const LIMIT_MESSAGE: &str = "out of memory: the memory limit (16000000 bytes) is reached";

fn assert_uncaught(r: &Run, message: &str) {
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains(message), "{r:?}");
    assert_eq!(r.stdout, expected_lines(), "{r:?}");
}

fn assert_caught(r: &Run, message: &str) {
    assert_eq!(r.code, 0, "{r:?}");
    let want = format!("{}caught: {message}\nafter\n", expected_lines());
    assert!(
        r.stdout.starts_with(&expected_lines()) && r.stdout.ends_with("\nafter\n"),
        "{r:?}"
    );
    assert!(r.stdout.contains(message), "{r:?}");
    if !message.is_empty() {
        assert_eq!(r.stdout, want, "{r:?}");
    }
}

#[test]
fn m0ld_growing_past_the_limit_exits_1_with_the_output_before_it_intact() {
    let dir = TempDir::new("m0ld-uncaught");
    for (name, body) in [
        ("array", GROW_ARRAY),
        ("hash", GROW_HASH),
        ("string", GROW_STRING),
    ] {
        let p = dir.file(&format!("{name}.m0ld"), &m0ld_program(body, false));
        let r = polyeval(["run", "--memory-limit", LIMIT, s(&p)]);
        assert_uncaught(&r, LIMIT_MESSAGE);
        assert!(r.stderr.contains("backtrace"), "{r:?}");
        assert!(
            r.stderr.contains(&format!("{name}.m0ld:")),
            "the message names where: {r:?}"
        );
    }
}

#[test]
fn m0ld_catch_receives_out_of_memory_and_the_program_goes_on() {
    let dir = TempDir::new("m0ld-caught");
    for (name, body) in [
        ("array", GROW_ARRAY),
        ("hash", GROW_HASH),
        ("string", GROW_STRING),
    ] {
        let p = dir.file(&format!("{name}.m0ld"), &m0ld_program(body, true));
        let r = polyeval(["run", "--memory-limit", LIMIT, s(&p)]);
        assert_caught(&r, LIMIT_MESSAGE);
    }
}

/// Lua that prints [`LINES`] lines, then grows a string and a table
/// under `pcall`, then (with `uncaught`) grows a string with no `pcall`.
fn lua_program(uncaught: bool) -> String {
    let mut src = format!(
        r#"for i = 0, {} do print("line " .. i) end
local ok, err = pcall(function() local s = "x" while true do s = s .. s end end)
local ok2, err2 = pcall(function() local t = {{}} for i = 1, 1e9 do t[i] = i end end)
"#,
        LINES - 1
    );
    if uncaught {
        src.push_str("local s = \"x\" while true do s = s .. s end\n");
    } else {
        src.push_str("print(\"caught: \" .. err .. \", \" .. err2)\nprint(\"after\")\n");
    }
    src
}

#[test]
fn lua_running_out_is_not_enough_memory_pcall_catches_it_and_uncaught_it_exits_1() {
    let dir = TempDir::new("lua");
    let caught = dir.file("caught.lua", &lua_program(false));
    let r = polyeval(["run", "--memory-limit", LIMIT, s(&caught)]);
    assert_caught(&r, "not enough memory, not enough memory");
    let uncaught = dir.file("uncaught.lua", &lua_program(true));
    let r = polyeval(["run", "--memory-limit", LIMIT, s(&uncaught)]);
    assert_uncaught(&r, "error: not enough memory");
}

/// m0ld's `join(a, b)` (`a ~ b`) as a Lua function.
const JOIN: &str = r#"local join = smop.eval([[
my $interpreter;
my $scope;
my $Code = $scope."lookup"("Code");
$Code = $Code."FETCH"();
my $body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $a = $capture."positional"(0);
    my $b = $capture."positional"(1);
    my $r = $a."infix:~"($b);
};
my $join = $Code."new"(:"outer"($scope), :"mold"($body));
]])
"#;

#[test]
fn strings_crossing_between_lua_and_m0ld_are_counted_both_ways() {
    let dir = TempDir::new("cross");
    // Lua keeps every string m0ld builds from a Lua string, and m0ld keeps
    // every one Lua passes back: both copies grow until one side refuses,
    // which is an error Lua catches; then both sides go on.
    let src = format!(
        r#"{JOIN}
local Array = smop.lookup("Array")
local arr = Array:new()
local chunk = ("z"):rep(100000)
local kept = {{}}
local n = 0
local ok, err = pcall(function()
  while true do
    local s = join(chunk, n)
    kept[#kept + 1] = s
    arr:push(s)
    n = n + 1
  end
end)
print("crossed", n > 10, ok, (tostring(err):gsub("^.-out of memory", "out of memory")))
kept, arr = nil, nil
collectgarbage()
-- The Rust side's memory freed by that collection is Lua's again from
-- the next hand-off.
join("", "")
-- Four Rust copies of a 4 MB string do not fit in what is left.
local big = ("y"):rep(4000000)
local ok2, err2 = pcall(function() return Array:new():push(big, big, big, big) end)
print("copies", ok2, (tostring(err2):gsub("^.-out of memory", "out of memory")))
print("after", join("a", "b"))
"#
    );
    let p = dir.file("cross.lua", &src);
    let r = polyeval(["run", "--memory-limit", LIMIT, s(&p)]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (
            0,
            format!("crossed\ttrue\tfalse\t{LIMIT_MESSAGE}\ncopies\tfalse\t{LIMIT_MESSAGE}\nafter\tab\n")
                .as_str()
        ),
        "{r:?}"
    );
    // m0ld asking Lua for a string that does not fit: the copy of the
    // result is refused, and m0ld's catch gets it.
    let m0ld = m0ld_program(
        r#"    my $Lua = $scope."lookup"("Lua");
    $Lua = $Lua."FETCH"();
    my $s = $Lua."eval"("local s = ('x'):rep(6000000) return s .. s");"#,
        true,
    );
    let p = dir.file("result.m0ld", &m0ld);
    let r = polyeval(["run", "--memory-limit", "24000000", s(&p)]);
    assert_caught(
        &r,
        "out of memory: the memory limit (24000000 bytes) is reached",
    );
}

#[test]
fn lua_memory_limit_is_a_sub_limit_of_the_memory_limit() {
    let dir = TempDir::new("sublimit");
    let p = dir.file(
        "sub.lua",
        r#"local t = {}
local ok, err = pcall(function() for i = 1, 1e9 do t[i] = ("x"):rep(100) end end)
local lua_heap = collectgarbage("count") * 1024
t = nil
collectgarbage()
print(err, lua_heap > 3000000 and lua_heap < 4000000)
local s = smop.lookup("Array"):new()
local n = 0
local ok2, err2 = pcall(function() while true do s:push(n, n, n, n) n = n + 1 end end)
print(n > 10000, (tostring(err2):gsub("^.-out of memory", "out of memory")))
"#,
    );
    let r = polyeval([
        "run",
        "--memory-limit",
        "24000000",
        "--lua-memory-limit",
        "4000000",
        s(&p),
    ]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (
            0,
            "not enough memory\ttrue\ntrue\tout of memory: the memory limit (24000000 bytes) is reached\n"
        ),
        "Lua stops at its own 4 MB, m0ld at the total: {r:?}"
    );
}

#[test]
fn memory_limit_usage_errors_exit_2() {
    let dir = TempDir::new("usage");
    let p = dir.file("ok.lua", "print('ok')\n");
    for bad in ["lots", "5MB", ""] {
        let r = polyeval(["run", "--memory-limit", bad, s(&p)]);
        assert_eq!(r.code, 2, "{bad:?}: {r:?}");
        assert!(r.stderr.contains("--memory-limit"), "{bad:?}: {r:?}");
    }
    let r = polyeval(["run", "--memory-limit", "1000000000", s(&p)]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "ok\n"), "{r:?}");
}

/// About 60 MB of address space: room for the binary and a heap of some
/// twenty megabytes.
#[cfg(target_os = "linux")]
const ULIMIT_KIB: u64 = 60_000;

#[cfg(target_os = "linux")]
#[test]
fn under_ulimit_v_running_out_is_the_same_catchable_error_and_output_survives() {
    let dir = TempDir::new("ulimit");
    let under_limit = "out of memory: the memory limit (";
    for (name, body) in [
        ("array", GROW_ARRAY),
        ("hash", GROW_HASH),
        ("string", GROW_STRING),
    ] {
        let p = dir.file(&format!("{name}.m0ld"), &m0ld_program(body, false));
        let r = polyeval_ulimit(ULIMIT_KIB, &["run", s(&p)]);
        assert_uncaught(&r, under_limit);
        let p = dir.file(&format!("{name}-caught.m0ld"), &m0ld_program(body, true));
        let r = polyeval_ulimit(ULIMIT_KIB, &["run", s(&p)]);
        assert_caught(&r, "");
        assert!(r.stdout.contains(under_limit), "{r:?}");
        // A --memory-limit above what the system allows changes nothing:
        // the lower, derived one applies.
        let r = polyeval_ulimit(ULIMIT_KIB, &["run", "--memory-limit", "4000000000", s(&p)]);
        assert_caught(&r, "");
    }
    let caught = dir.file("caught.lua", &lua_program(false));
    let r = polyeval_ulimit(ULIMIT_KIB, &["run", s(&caught)]);
    assert_caught(&r, "not enough memory, not enough memory");
    let uncaught = dir.file("uncaught.lua", &lua_program(true));
    let r = polyeval_ulimit(ULIMIT_KIB, &["run", s(&uncaught)]);
    assert_uncaught(&r, "error: not enough memory");
}
