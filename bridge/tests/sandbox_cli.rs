//! The sandbox has no way out (issue 9, item 3): each test spawns the real
//! `polyeval` binary in a private temporary folder holding a planted
//! `secret.conf` (valid Lua, so that running it would define a global, and
//! quoted by m0ld's compile diagnostics if it were ever compiled), an
//! `allowed/` folder with symlinks that lead back out, and a secret in the
//! child's environment (`/proc/self/environ`). Every test asserts that no
//! secret appears on stdout or stderr.
//!
//! Covered: every loader (`smop.load`, `Lua:require` from Lua, m0ld's
//! `Lua."require"` through `smop.eval`, `smop.load` from Lua code that m0ld
//! or `Lua:eval` or `load` runs, inside a coroutine, and from an m0ld main
//! program) on every kind of path (the secret by relative, `./`, absolute
//! and `..` paths, symlinks from an allowed folder to a file and to a
//! folder outside, a dangling symlink, `/proc/self/environ`, a folder,
//! `/`, a missing file, an unreadable file, the empty path, a NUL byte)
//! gives one refusal text;
//! `--allow-read DIR` opens exactly DIR (also through a symlinked name);
//! Lua remnants (the globals, `package`, `string.dump`, binary chunks,
//! metatables of proxies and of `smop`, `collectgarbage`, `polyeval.*`,
//! `Lua:global`); `--allow-read` in safe mode; usage errors; the main
//! program is always allowed; and a control run proving the leak check
//! would see a leak.
#![cfg(unix)]

mod common;

use common::Run;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

const SECRET: &str = "TOPSECRET-7f3a9c";
const ENV_SECRET: &str = "TOPSECRET-ENV-51d2";
const SANDBOX_REFUSAL: &str = "loading files is not allowed in this sandbox";
const SAFE_REFUSAL: &str = "loading files outside the allowed folders is not allowed";

/// A private folder with the planted files, removed on drop.
struct Planted(PathBuf);

impl Planted {
    fn new(tag: &str) -> Planted {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let root = std::env::temp_dir().join(format!(
            "polyeval-sandbox-test-{}-{n}-{tag}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&root);
        let p = Planted(root);
        std::fs::create_dir_all(p.0.join("allowed/sub")).expect("create temp dir");
        p.write("secret.conf", &format!("secret = \"{SECRET}\"\n"));
        p.write("unreadable.m0ld", &format!("# {SECRET}\nmy $x = 1;\n"));
        std::fs::set_permissions(
            p.0.join("unreadable.m0ld"),
            std::fs::Permissions::from_mode(0o000),
        )
        .expect("chmod");
        p.write(
            "allowed/ok.m0ld",
            "my $interpreter;\nmy $x = 41;\nmy $y = $x.\"infix:+\"(1);\n",
        );
        p.write("allowed/ok.lua", "return 'lua module ok'\n");
        let link = |target: &str, name: &str| {
            std::os::unix::fs::symlink(target, p.0.join(name)).expect("symlink");
        };
        link("../secret.conf", "allowed/link_secret");
        link("..", "allowed/link_up");
        link("/proc/self/environ", "allowed/link_environ");
        link("../nowhere.m0ld", "allowed/link_dangling");
        link("allowed", "alias");
        p
    }

    fn write(&self, name: &str, src: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, src).expect("write test file");
        path
    }

    /// Runs `polyeval run ARGS...` in the planted folder, with a secret in
    /// the environment.
    fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_polyeval"))
            .arg("run")
            .args(args)
            .current_dir(&self.0)
            .env_remove("RUST_LOG")
            .env("POLYEVAL_TEST_SECRET", ENV_SECRET)
            .output()
            .expect("spawn polyeval");
        let r = Run::from(out);
        assert!(
            !r.stdout.contains("TOPSECRET") && !r.stderr.contains("TOPSECRET"),
            "a secret leaked: {r:?}"
        );
        r
    }
}

impl Drop for Planted {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A Lua program that tries every loader on every path and prints one
/// line per try: `loader<TAB>path<TAB>outcome`, where the outcome is
/// `loaded: RESULT` or the error message.
fn every_way_out(root: &Path) -> String {
    let abs = root.join("secret.conf").display().to_string();
    format!(
        r#"
local Lua = smop.lookup("Lua")
local function m0ld(body)
  return smop.eval('my $interpreter; my $scope; my $Lua = $scope."lookup"("Lua"); '
    .. '$Lua = $Lua."FETCH"(); ' .. body)
end
local loaders = {{
  {{ "smop.load", function(p) return smop.load(p) end }},
  {{ "Lua:require", function(p) return Lua:require(p) end }},
  {{ "m0ld Lua.require", function(p) return m0ld('$Lua."require"("' .. p .. '");') end }},
  {{ "m0ld Lua.eval smop.load",
    function(p) return m0ld('$Lua."eval"("return smop.load([[' .. p .. ']])");') end }},
  {{ "Lua:eval smop.load", function(p) return Lua:eval("return smop.load([[" .. p .. "]])") end }},
  {{ "load smop.load", function(p) return load("return smop.load(...)")(p) end }},
  {{ "load Lua:require", function(p) return load("return smop.lookup('Lua'):require(...)")(p) end }},
  {{ "coroutine smop.load",
    function(p) return coroutine.wrap(function() return smop.load(p) end)() end }},
}}
local paths = {{ "secret.conf", "./secret.conf", [[{abs}]], "allowed/../secret.conf",
  "allowed/link_secret", "allowed/link_up/secret.conf", "allowed/link_up/missing.m0ld", "allowed/sub/../../secret.conf",
  "allowed/link_environ", "/proc/self/environ", "/proc/self/cmdline", "/etc/passwd",
  "unreadable.m0ld", "missing.m0ld", "allowed/link_dangling", ".", "/", "", "secret.conf\0",
  "allowed", "allowed/missing.m0ld", "allowed/ok.m0ld", "allowed/ok.lua",
  "allowed/sub/../ok.m0ld", "alias/ok.m0ld" }}
for _, l in ipairs(loaders) do
  for _, p in ipairs(paths) do
    local ok, r = pcall(l[2], p)
    local outcome = ok and "loaded: " .. tostring(r) or tostring(r)
    print(l[1] .. "\t" .. p:gsub("%z", "\\0") .. "\t" .. outcome:gsub("\n", " "))
  end
end
print("secret global: " .. tostring(secret))
"#
    )
}

/// The lines of `every_way_out`'s output as (loader, path, outcome).
fn outcomes(r: &Run) -> Vec<(String, String, String)> {
    let lines: Vec<_> = r
        .stdout
        .lines()
        .filter(|l| !l.starts_with("secret global"))
        .map(|l| {
            let mut parts = l.splitn(3, '\t');
            let mut next = || parts.next().unwrap_or_default().to_owned();
            (next(), next(), next())
        })
        .collect();
    assert_eq!(lines.len(), 8 * 25, "one line per loader and path: {r:?}");
    assert!(r.stdout.ends_with("secret global: nil\n"), "{r:?}");
    lines
}

/// `s` without the positions (`file:line: `, `file:line:col: `, and
/// `[string "..."]:line: ` for a chunk loaded from a string) that the code
/// between the caller and the loader put in front of a message.
fn without_positions(mut s: &str) -> &str {
    let number = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    while let Some(rest) = s.strip_prefix("[string \"") {
        let Some(end) = rest.find("\"]:") else {
            break;
        };
        let after = &rest[end + 3..];
        match after.find(": ") {
            Some(i) if number(&after[..i]) => s = &after[i + 2..],
            _ => break,
        }
    }
    while let Some(i) = s.find(": ") {
        let head = &s[..i];
        let mut parts = head.rsplitn(3, ':');
        let last = parts.next().unwrap_or_default();
        if head.contains(' ') || !number(last) || parts.next().is_none() {
            break;
        }
        s = &s[i + 2..];
    }
    s
}

/// The refusal text of `loader`.
fn refusal(loader: &str, text: &str) -> String {
    if loader.contains("require") {
        format!("Lua.require: {text}")
    } else {
        format!("smop.load: {text}")
    }
}

#[test]
fn sandbox_refuses_every_file_by_every_loader_with_one_text() {
    let p = Planted::new("refuse");
    let main = p.write("main.lua", &every_way_out(&p.0));
    let r = p.run(&["--lua-stdlib", "sandbox", main.to_str().expect("UTF-8")]);
    assert_eq!(r.code, 0, "{r:?}");
    for (loader, path, outcome) in outcomes(&r) {
        assert_eq!(
            without_positions(&outcome),
            refusal(&loader, SANDBOX_REFUSAL),
            "{loader} {path:?}"
        );
    }
}

#[test]
fn allow_read_opens_exactly_the_allowed_folder() {
    let p = Planted::new("allow");
    let main = p.write("main.lua", &every_way_out(&p.0));
    let r = p.run(&[
        "--lua-stdlib",
        "sandbox",
        "--allow-read",
        "allowed",
        main.to_str().expect("UTF-8"),
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let inside = [
        "allowed",
        "allowed/missing.m0ld",
        "allowed/ok.m0ld",
        "allowed/ok.lua",
        "allowed/sub/../ok.m0ld",
        "alias/ok.m0ld",
    ];
    for (loader, path, outcome) in outcomes(&r) {
        let refused = without_positions(&outcome) == refusal(&loader, SANDBOX_REFUSAL);
        assert_eq!(
            refused,
            !inside.contains(&path.as_str()),
            "{loader} {path:?}: {outcome}"
        );
        let smop_load = !loader.contains("require");
        match path.as_str() {
            "allowed/ok.m0ld" | "allowed/sub/../ok.m0ld" | "alias/ok.m0ld" if smop_load => {
                assert!(
                    outcome.ends_with("loaded: 42"),
                    "{loader} {path}: {outcome}"
                );
            }
            "allowed/ok.lua" if !smop_load => {
                assert_eq!(outcome, "loaded: lua module ok", "{loader} {path}");
            }
            "allowed/missing.m0ld" => {
                assert!(outcome.contains("No such file"), "{loader}: {outcome}");
            }
            "allowed" => assert!(outcome.contains("Is a directory"), "{loader}: {outcome}"),
            _ => {}
        }
    }
}

#[test]
fn lua_remnants_and_metatables_give_no_way_out() {
    let p = Planted::new("remnants");
    let main = p.write(
        "main.lua",
        r#"
local names = {}
for k in pairs(_G) do names[#names + 1] = k end
table.sort(names)
print("globals: " .. table.concat(names, " "))
local removed = {}
for _, n in ipairs({ "io", "os", "package", "require", "dofile", "loadfile", "debug",
    "loadstring", "module", "unpack" }) do
  removed[#removed + 1] = n .. "=" .. tostring(_G[n]) .. "/" .. tostring(_ENV[n])
end
print("removed: " .. table.concat(removed, " "))
local Lua = smop.lookup("Lua")
print("Lua:global: " .. tostring(Lua:global("io")) .. " " .. tostring(Lua:global("package"))
  .. " " .. tostring(Lua:global("debug")) .. " " .. tostring(Lua:eval("return require")))
print("string.dump: " .. tostring(string.dump) .. " " .. tostring(getmetatable("").__index.dump)
  .. " " .. tostring(getmetatable("").__index == string))
local bin = "\27Lua\84\0\25\147\r\n\26\n"
print("load binary: " .. tostring((load(bin))) .. " " .. tostring((load(bin, "b", "b")))
  .. " " .. tostring((load(bin, "bt", "bt", {})))
  .. " " .. tostring((load(function() local s = bin; bin = nil; return s end, "f", "b"))))
print("Lua:eval binary: " .. tostring((pcall(Lua.eval, Lua, bin))))
local proxy = smop.lookup("Hash")
print("proxy metatable: " .. tostring(getmetatable(proxy)) .. " "
  .. tostring((pcall(setmetatable, proxy, {}))))
print("smop metatable: " .. tostring(getmetatable(smop)) .. " "
  .. tostring(getmetatable(smop.load)) .. " " .. tostring(getmetatable(Lua)))
local ok, e = pcall(function() return Lua:loadfile("secret.conf") end)
print("Lua:loadfile: " .. tostring(ok))
ok = pcall(smop.eval, 'my $interpreter; my $x = $interpreter."require"("secret.conf");')
print("$interpreter.require: " .. tostring(ok))
print("collectgarbage: " .. math.type(collectgarbage("count")) .. " " .. collectgarbage("collect"))
local pk = {}
for k in pairs(polyeval) do pk[#pk + 1] = k end
table.sort(pk)
print("polyeval: " .. table.concat(pk, " "))
print("coroutine: " .. tostring(coroutine.running() ~= nil))
print("secret global: " .. tostring(secret))
"#,
    );
    let r = p.run(&["--lua-stdlib", "sandbox", main.to_str().expect("UTF-8")]);
    let want = "globals: _G _VERSION arg assert collectgarbage coroutine error getmetatable \
                ipairs load math next pairs pcall polyeval print rawequal rawget rawlen rawset \
                select setmetatable smop string table tonumber tostring type utf8 warn xpcall\n\
                removed: io=nil/nil os=nil/nil package=nil/nil require=nil/nil dofile=nil/nil \
                loadfile=nil/nil debug=nil/nil loadstring=nil/nil module=nil/nil unpack=nil/nil\n\
                Lua:global: nil nil nil nil\n\
                string.dump: nil nil true\n\
                load binary: nil nil nil nil\n\
                Lua:eval binary: false\n\
                proxy metatable: false false\n\
                smop metatable: nil nil false\n\
                Lua:loadfile: false\n\
                $interpreter.require: false\n\
                collectgarbage: float 0\n\
                polyeval: lang languages on_interrupt pending raise sleep timer without_interrupts\n\
                coroutine: true\n\
                secret global: nil\n";
    assert_eq!((r.code, r.stdout.as_str()), (0, want), "{r:?}");
}

#[test]
fn m0ld_main_in_the_sandbox_cannot_require_any_file() {
    let p = Planted::new("m0ld");
    let main = p.write(
        "main.m0ld",
        r#"my $interpreter;
my $scope;
my $OUT = $scope."lookup"("$OUT");
$OUT = $OUT."FETCH"();
my $Lua = $scope."lookup"("Lua");
$Lua = $Lua."FETCH"();
my $Code = $scope."lookup"("Code");
$Code = $Code."FETCH"();
my $handler_body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $err = $capture."positional"(0);
    my $msg = $err."message"();
};
my $handler = $Code."new"(:"outer"($scope), :"mold"($handler_body));
my $k = $interpreter."continuation"();
$k."catch"($handler);
my $r = $Lua."require"("secret.conf");
$OUT."say"($r);
$r = $Lua."require"("/proc/self/environ");
$OUT."say"($r);
$r = $Lua."require"("allowed/link_secret");
$OUT."say"($r);
$r = $Lua."require"("missing.lua");
$OUT."say"($r);
$r = $Lua."eval"("return smop.load('secret.conf')");
$OUT."say"($r);
$r = $Lua."global"("secret");
$OUT."say"("secret global: ", $r);
"#,
    );
    let r = p.run(&["--lua-stdlib", "sandbox", main.to_str().expect("UTF-8")]);
    let req = format!("Lua.require: {SANDBOX_REFUSAL}\n");
    // `return smop.load(...)` in Lua.eval's chunk: the refusal has the
    // chunk's position, as a C function's error has its caller's.
    let want = format!(
        "{req}{req}{req}{req}<Lua.eval>:1: smop.load: {SANDBOX_REFUSAL}\nsecret global: \n"
    );
    assert_eq!((r.code, r.stdout.as_str()), (0, want.as_str()), "{r:?}");
}

#[test]
fn the_main_program_is_always_allowed() {
    let p = Planted::new("main");
    p.write(
        "main.lua",
        "if again then return 'main again' end\nagain = true\n\
         print(smop.lookup('Lua'):require(arg[0]))\n",
    );
    let r = p.run(&["--lua-stdlib", "sandbox", "main.lua"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "main again\n"), "{r:?}");
    // The same file under another name is the same file.
    let r = p.run(&["--lua-stdlib", "sandbox", "./allowed/../main.lua"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "main again\n"), "{r:?}");
}

#[test]
fn allow_read_in_safe_mode_restricts_polyevals_loaders_only() {
    let p = Planted::new("safe");
    let main = p.write(
        "main.lua",
        r#"
local Lua = smop.lookup("Lua")
print(select(2, pcall(smop.load, "secret.conf")))
print(select(2, pcall(Lua.require, Lua, "allowed/link_secret")))
print(smop.load("allowed/ok.m0ld"))
-- Lua's own io stays: safe mode is not a sandbox.
print(io.open("secret.conf") ~= nil)
"#,
    );
    let r = p.run(&["--allow-read", "allowed", main.to_str().expect("UTF-8")]);
    let want = format!("smop.load: {SAFE_REFUSAL}\nLua.require: {SAFE_REFUSAL}\n42\ntrue\n");
    assert_eq!((r.code, r.stdout.as_str()), (0, want.as_str()), "{r:?}");
}

#[test]
fn without_a_sandbox_the_leak_check_sees_the_secret() {
    // The control: in safe mode with no --allow-read, smop.load reads any
    // file, and its compile diagnostics quote it.
    let p = Planted::new("control");
    let main = p.write("main.lua", "smop.load('secret.conf')\n");
    let out = Command::new(env!("CARGO_BIN_EXE_polyeval"))
        .args(["run", main.to_str().expect("UTF-8")])
        .current_dir(&p.0)
        .output()
        .expect("spawn polyeval");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains(SECRET));
}

#[test]
fn bad_allow_read_folders_are_usage_errors() {
    let p = Planted::new("usage");
    let main = p.write("main.lua", "print('ran')\n");
    let m = main.to_str().expect("UTF-8");
    let r = p.run(&["--lua-stdlib", "sandbox", "--allow-read", "nowhere", m]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("--allow-read") && r.stderr.contains("nowhere"),
        "{r:?}"
    );
    let r = p.run(&["--allow-read", "secret.conf", m]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("not a folder"), "{r:?}");
    assert_eq!(r.stdout, "", "{r:?}");
    // Repeatable: two folders.
    let r = p.run(&["--allow-read", "allowed", "--allow-read", "allowed/sub", m]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "ran\n"), "{r:?}");
}
