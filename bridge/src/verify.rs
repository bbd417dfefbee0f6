//! `polyeval verify-interrupts`: proves that interrupts are transparent to
//! a program. It runs the program once without interrupts (counting its
//! steps, S), then once per injection point k with one `probe` interrupt
//! after step k, and compares stdout, stderr and the exit status with the
//! clean run. Each run is a child `polyeval run` process, so `os.exit`,
//! exit statuses and output are exactly what a user sees.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::run::{EXIT_OK, EXIT_RUNTIME, EXIT_USAGE};

/// What to verify.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// The program.
    pub file: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// At most this many injection points (K).
    pub samples: u64,
    /// Seed for the random points of a long program.
    pub seed: u64,
    /// Child runs at once (default: the number of CPUs).
    pub jobs: Option<usize>,
}

/// One run's observable outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Outcome {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    status: Option<i32>,
}

impl From<Output> for Outcome {
    fn from(o: Output) -> Self {
        Outcome {
            stdout: o.stdout,
            stderr: o.stderr,
            status: o.status.code(),
        }
    }
}

/// Runs the verification; returns the exit status (0: all transparent,
/// 1: some injection changed the outcome, 2: the program could not be run).
pub fn verify(opts: &VerifyOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match verify_inner(opts, out) {
        Ok(status) => status,
        Err(msg) => {
            let _ = writeln!(err, "error: {msg}");
            EXIT_USAGE
        }
    }
}

fn verify_inner(opts: &VerifyOptions, out: &mut dyn Write) -> Result<i32, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find polyeval itself: {e}"))?;
    let report = temp_path("clean");
    let clean: Outcome = child(&exe, opts, &[], Some(&report))?.into();
    let steps = std::fs::read_to_string(&report)
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok());
    let _ = std::fs::remove_file(&report);
    let Some(steps) = steps else {
        return Err(format!(
            "the clean run of {} did not report its step count (status {:?}): {}",
            opts.file.display(),
            clean.status,
            String::from_utf8_lossy(&clean.stderr).trim_end()
        ));
    };
    let points = injection_points(steps, opts.samples, opts.seed);
    let failures = run_injections(&exe, opts, &points, &clean)?;
    if failures.is_empty() {
        let _ = writeln!(
            out,
            "verified {} injection points over {steps} steps: all transparent",
            points.len()
        );
        return Ok(EXIT_OK);
    }
    const SHOWN: usize = 20;
    for (k, diff) in failures.iter().take(SHOWN) {
        let _ = writeln!(out, "injection after step {k} changed the outcome: {diff}");
    }
    if failures.len() > SHOWN {
        let _ = writeln!(out, "... and {} more", failures.len() - SHOWN);
    }
    let _ = writeln!(
        out,
        "{} of {} injection points over {steps} steps changed the outcome: not transparent",
        failures.len(),
        points.len()
    );
    Ok(EXIT_RUNTIME)
}

/// The steps after which to inject: every one when the program runs no
/// more than `samples` steps; otherwise half spread evenly and the rest
/// drawn from `seed`.
fn injection_points(steps: u64, samples: u64, seed: u64) -> Vec<u64> {
    if steps <= samples {
        return (0..steps).collect();
    }
    let even = samples.div_ceil(2);
    let mut points: Vec<u64> = (0..even).map(|i| i * steps / even).collect();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut guard = 0;
    while (points.len() as u64) < samples && guard < samples * 100 {
        points.push(rng.u64(0..steps));
        points.sort_unstable();
        points.dedup();
        guard += 1;
    }
    points
}

fn run_injections(
    exe: &Path,
    opts: &VerifyOptions,
    points: &[u64],
    clean: &Outcome,
) -> Result<Vec<(u64, String)>, String> {
    let jobs = opts
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .clamp(1, 64);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(u64, String)>> = Mutex::new(Vec::new());
    let failure: Mutex<Option<String>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&k) = points.get(i) else { return };
                let flag = ["--interrupt-at-step".to_owned(), k.to_string()];
                match child(exe, opts, &flag, None) {
                    Ok(o) => {
                        if let Some(diff) = first_difference(clean, &o.into()) {
                            results.lock().map(|mut r| r.push((k, diff))).ok();
                        }
                    }
                    Err(e) => {
                        failure.lock().map(|mut f| *f = Some(e)).ok();
                        return;
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    let mut r = results.into_inner().unwrap_or_default();
    r.sort_by_key(|(k, _)| *k);
    Ok(r)
}

fn child(
    exe: &Path,
    opts: &VerifyOptions,
    extra: &[String],
    report: Option<&Path>,
) -> Result<Output, String> {
    let mut cmd = Command::new(exe);
    cmd.arg("run").arg("--no-signals").args(extra);
    if let Some(r) = report {
        cmd.arg("--steps-report").arg(r);
    }
    cmd.arg(&opts.file).args(&opts.args);
    cmd.output()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))
}

fn temp_path(what: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("polyeval-verify-{}-{what}-{n}", std::process::id()))
}

/// The first way `got` differs from `want`, in words; `None` if equal.
fn first_difference(want: &Outcome, got: &Outcome) -> Option<String> {
    if let Some(d) = first_line_difference("stdout", &want.stdout, &got.stdout) {
        return Some(d);
    }
    if let Some(d) = first_line_difference("stderr", &want.stderr, &got.stderr) {
        return Some(d);
    }
    if want.status != got.status {
        let show = |s: Option<i32>| s.map_or("killed by a signal".to_owned(), |c| c.to_string());
        return Some(format!(
            "exit status: expected {}, got {}",
            show(want.status),
            show(got.status)
        ));
    }
    None
}

fn first_line_difference(stream: &str, want: &[u8], got: &[u8]) -> Option<String> {
    if want == got {
        return None;
    }
    let want_lines: Vec<&[u8]> = want.split(|&b| b == b'\n').collect();
    let got_lines: Vec<&[u8]> = got.split(|&b| b == b'\n').collect();
    let show = |l: Option<&&[u8]>| match l {
        Some(l) => format!("{:?}", String::from_utf8_lossy(l)),
        None => "end of output".to_owned(),
    };
    let i = (0..want_lines.len().max(got_lines.len()))
        .find(|&i| want_lines.get(i) != got_lines.get(i))
        .unwrap_or(0);
    Some(format!(
        "{stream} line {}: expected {}, got {}",
        i + 1,
        show(want_lines.get(i)),
        show(got_lines.get(i))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_when_short() {
        assert_eq!(injection_points(5, 200, 1), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn sampled_when_long_and_seeded() {
        let a = injection_points(1_000_000, 200, 7);
        assert_eq!(a.len(), 200);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert!(a.contains(&0) && a.contains(&10_000) && a.contains(&990_000));
        assert_eq!(a, injection_points(1_000_000, 200, 7));
        assert_ne!(a, injection_points(1_000_000, 200, 8));
    }

    #[test]
    fn differences_are_named() {
        let o = |s: &str, e: &str, c| Outcome {
            stdout: s.into(),
            stderr: e.into(),
            status: Some(c),
        };
        assert_eq!(
            first_difference(&o("a\nb\n", "", 0), &o("a\nb\n", "", 0)),
            None
        );
        assert_eq!(
            first_difference(&o("a\nb\n", "", 0), &o("a\nc\n", "", 0)).as_deref(),
            Some("stdout line 2: expected \"b\", got \"c\"")
        );
        assert_eq!(
            first_difference(&o("a\n", "", 0), &o("a\n", "", 1)).as_deref(),
            Some("exit status: expected 0, got 1")
        );
        assert_eq!(
            first_difference(&o("a\n", "", 0), &o("a\nx\n", "", 0)).as_deref(),
            Some("stdout line 2: expected \"\", got \"x\"")
        );
    }
}
