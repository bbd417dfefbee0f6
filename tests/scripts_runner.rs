//! The script-test runner: every file under
//! `tests/scripts/{smop,lua,scheme,cross}` becomes named tests, one per step
//! quantum, through libtest-mimic.
//!
//! A script states what it expects in its leading comment block (`#` for
//! m0ld, `--` for Lua, `;` for Scheme):
//!
//! ```text
//! # expect-exit: 1                 (default 0)
//! # expect-stdout:                 (exact stdout, one `| ` line each)
//! # | line one
//! # expect-stderr: fragment        (a substring stderr must contain; repeatable)
//! # args: a b c                    (program arguments)
//! # max-steps: 100                 (run-loop step budget)
//! # quanta: 1 1000                 (restrict the quanta it runs under)
//! # lua-stdlib: all                (Lua standard libraries: safe, all, sandbox)
//! # lua-memory-limit: 4000000      (bytes: the Lua heap alone)
//! # memory-limit: 64000000         (bytes: the whole heap; see below)
//! # allow-read: lib                (`--allow-read`: a folder, relative to the
//! #                                 script's own folder; repeatable)
//! ```
//!
//! Without `expect-stdout`, the script checks itself through TAP: stdout
//! must contain at least one `ok` line and no `not ok` line. Each script
//! runs under five settings: run-loop quantum 1 with Lua count-hook
//! interval (`--lua-quantum`) 1, quantum 1000 with interval 100, and
//! unbounded quantum with the default interval; then the first of these
//! with a `probe` interrupt every step (`--interrupt-every-steps 1`) and the
//! second with one every 7 steps. The outcome must be the same under all of
//! them: interleaving and interrupt detours are invisible to a program.
//!
//! The runner counts its heap as the `polyeval` binary does (`cap`), so
//! `memory-limit` works in-process; since the count and the limit are the
//! process's, a script with a memory limit runs alone (the others wait),
//! and its limit must leave room for the runner's own few megabytes.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use libtest_mimic::{Arguments, Failed, Trial};
use polyeval_bridge::run::{execute, Options, SharedBuf};

#[global_allocator]
static ALLOC: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

/// Scripts with a memory limit hold it for writing, the others for
/// reading.
static LIMITED: RwLock<()> = RwLock::new(());

#[derive(Debug, Default, Clone)]
struct Expect {
    exit: i32,
    stdout: Option<String>,
    stderr: Vec<String>,
    args: Vec<String>,
    max_steps: Option<u64>,
    quanta: Option<Vec<u32>>,
    lua_stdlib: Option<polyeval_lua::Stdlib>,
    lua_memory_limit: Option<usize>,
    allow_read: Vec<String>,
    memory_limit: Option<usize>,
}

fn parse_quantum(s: &str) -> u32 {
    if s == "unbounded" {
        u32::MAX
    } else {
        s.parse().unwrap_or(polyeval_core::DEFAULT_QUANTUM)
    }
}

fn parse_header(src: &str, prefix: &str) -> Expect {
    let mut e = Expect::default();
    let mut stdout: Option<Vec<String>> = None;
    for line in src.lines() {
        let Some(rest) = line.trim_start().strip_prefix(prefix) else {
            if line.trim().is_empty() {
                continue;
            }
            break;
        };
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        if let Some(body) = rest.strip_prefix('|') {
            if let Some(lines) = stdout.as_mut() {
                lines.push(body.strip_prefix(' ').unwrap_or(body).to_owned());
            }
            continue;
        }
        let Some((key, value)) = rest.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "expect-exit" => e.exit = value.parse().unwrap_or(-1),
            "expect-stdout" => stdout = Some(Vec::new()),
            "expect-stderr" => e.stderr.push(value.to_owned()),
            "args" => e.args = value.split_whitespace().map(str::to_owned).collect(),
            "max-steps" => e.max_steps = value.parse().ok(),
            "quanta" => e.quanta = Some(value.split_whitespace().map(parse_quantum).collect()),
            "lua-stdlib" => e.lua_stdlib = value.parse().ok(),
            "lua-memory-limit" => e.lua_memory_limit = value.parse().ok(),
            "allow-read" => e.allow_read.push(value.to_owned()),
            "memory-limit" => e.memory_limit = value.parse().ok(),
            _ => {}
        }
    }
    e.stdout = stdout.map(|lines| lines.iter().map(|l| format!("{l}\n")).collect());
    e
}

fn run_one(
    path: &Path,
    exp: &Expect,
    quantum: u32,
    lua_quantum: u32,
    probe_every: Option<u64>,
) -> Result<(), Failed> {
    let out = SharedBuf::default();
    let err = SharedBuf::default();
    let mut opts = Options::new(path);
    opts.args = exp.args.clone();
    opts.max_steps = exp.max_steps;
    opts.quantum = quantum;
    opts.lua.quantum = lua_quantum;
    opts.irq.every_steps = probe_every;
    // With a small count-hook interval, Lua also yields at every check, so
    // that preemption happens everywhere it can.
    opts.lua.always_preempt = lua_quantum < polyeval_lua::DEFAULT_LUA_QUANTUM;
    opts.lua.memory_limit = exp.lua_memory_limit;
    opts.memory_limit = exp.memory_limit;
    if let Some(m) = exp.lua_stdlib {
        opts.lua.stdlib = m;
    }
    let here = path.parent().unwrap_or(Path::new("."));
    for dir in &exp.allow_read {
        opts.file_access
            .allow_dir(here.join(dir))
            .map_err(|e| format!("allow-read: {e}"))?;
    }
    let code = {
        // A panicking script poisons the lock; the next ones still run.
        let _alone = if exp.memory_limit.is_some() {
            Ok(LIMITED
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner))
        } else {
            Err(LIMITED
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner))
        };
        let code = execute(&opts, Box::new(out.clone()), Box::new(err.clone()));
        let _ = polyeval_core::memory::set_limit(None);
        code
    };
    let stdout = String::from_utf8_lossy(&out.contents()).into_owned();
    let stderr = String::from_utf8_lossy(&err.contents()).into_owned();
    let context = || format!("\n--- stdout ---\n{stdout}--- stderr ---\n{stderr}");
    if code != exp.exit {
        return Err(format!("exit status {code}, expected {}{}", exp.exit, context()).into());
    }
    match &exp.stdout {
        Some(want) => {
            if &stdout != want {
                return Err(
                    format!("stdout differs\n--- expected ---\n{want}{}", context()).into(),
                );
            }
        }
        None => {
            let lines: Vec<&str> = stdout.lines().collect();
            if let Some(bad) = lines.iter().find(|l| l.starts_with("not ok")) {
                return Err(format!("TAP failure: {bad}{}", context()).into());
            }
            if !lines.iter().any(|l| l.starts_with("ok")) && exp.exit == 0 {
                return Err(
                    format!("no `ok` line and no expect-stdout header{}", context()).into(),
                );
            }
        }
    }
    for frag in &exp.stderr {
        if !stderr.contains(frag.as_str()) {
            return Err(format!("stderr lacks {frag:?}{}", context()).into());
        }
    }
    Ok(())
}

fn scripts(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["smop", "lua", "scheme", "cross"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if matches!(
                p.extension().and_then(|x| x.to_str()),
                Some("m0ld" | "lua" | "scm")
            ) {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

fn main() {
    polyeval_core::memory::set_usage_source(|| ALLOC.allocated());
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts");
    let mut trials = Vec::new();
    for path in scripts(&root) {
        let src = std::fs::read_to_string(&path).unwrap_or_default();
        let prefix = match path.extension().and_then(|x| x.to_str()) {
            Some("lua") => "--",
            Some("scm") => ";",
            _ => "#",
        };
        let exp = parse_header(&src, prefix);
        let rel = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let quanta = exp
            .quanta
            .clone()
            .unwrap_or_else(|| vec![1, polyeval_core::DEFAULT_QUANTUM, u32::MAX]);
        let mut settings: Vec<(u32, Option<u64>)> = quanta.iter().map(|&q| (q, None)).collect();
        let first = quanta.first().copied().unwrap_or(1);
        settings.push((first, Some(1)));
        settings.push((quanta.get(1).copied().unwrap_or(first), Some(7)));
        for (q, probes) in settings {
            // Each run-loop quantum is paired with a Lua count-hook interval.
            let (label, lq) = match q {
                1 => ("1".to_owned(), 1),
                u32::MAX => ("unbounded".to_owned(), polyeval_lua::DEFAULT_LUA_QUANTUM),
                n if n == polyeval_core::DEFAULT_QUANTUM => (n.to_string(), 100),
                n => (n.to_string(), polyeval_lua::DEFAULT_LUA_QUANTUM),
            };
            let probe_label =
                probes.map_or(String::new(), |n| format!(" interrupt-every-steps={n}"));
            let (path, exp) = (path.clone(), exp.clone());
            trials.push(Trial::test(
                format!("{rel} [quantum={label} lua-quantum={lq}{probe_label}]"),
                move || run_one(&path, &exp, q, lq, probes),
            ));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
