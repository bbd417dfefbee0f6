//! The conformance checks, one function per property of docs/design.md
//! that every interpreter must keep. Each takes the [`Subject`], builds
//! fresh loops and panics with a message naming itself, the language and
//! what went wrong; [`run_all`] runs them all and reports instead.
//!
//! They share one layout: a fresh loop, configured and with the subject
//! installed, the programs the check needs loaded into it, native peers
//! from [`super::peers`], and assertions that name what was run.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::Subject;

mod control;
mod errors;

pub use control::{budgets, deep_hand_off, detours_are_invisible, only_first_setr_counts};
pub use errors::{error_kinds_cross, errors_cross_with_frames, native_panics, stale_handles};

/// The names of the checks, as [`crate::conformance_tests!`] names their
/// tests.
pub const CHECKS: [&str; 8] = [
    "deep_hand_off",
    "detours_are_invisible",
    "only_first_setr_counts",
    "stale_handles",
    "errors_cross_with_frames",
    "error_kinds_cross",
    "budgets",
    "native_panics",
];

/// What [`run_all`] found: each check's name and its failure, if any.
#[derive(Debug, Default)]
pub struct Report {
    /// Every check in [`CHECKS`] order, with its failure message.
    pub outcomes: Vec<(&'static str, Option<String>)>,
}

impl Report {
    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.outcomes.iter().all(|(_, f)| f.is_none())
    }

    /// The checks that failed, with their messages.
    pub fn failures(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.outcomes
            .iter()
            .filter_map(|(n, f)| f.as_deref().map(|m| (*n, m)))
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, failure) in &self.outcomes {
            match failure {
                None => writeln!(f, "ok      {name}")?,
                Some(m) => writeln!(f, "FAILED  {name}: {m}")?,
            }
        }
        Ok(())
    }
}

/// A check, as [`run_all`] runs it.
type Check = fn(&dyn Subject);

/// Runs every check, each to its end, and reports which failed.
pub fn run_all(subject: &dyn Subject) -> Report {
    let all: [(&'static str, Check); 8] = [
        (CHECKS[0], deep_hand_off),
        (CHECKS[1], detours_are_invisible),
        (CHECKS[2], only_first_setr_counts),
        (CHECKS[3], stale_handles),
        (CHECKS[4], errors_cross_with_frames),
        (CHECKS[5], error_kinds_cross),
        (CHECKS[6], budgets),
        (CHECKS[7], native_panics),
    ];
    let outcomes = all
        .into_iter()
        .map(|(name, check)| {
            let failure = catch_unwind(AssertUnwindSafe(|| check(subject)))
                .err()
                .map(|p| {
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_else(|| "a panic without a message".to_owned())
                });
            (name, failure)
        })
        .collect();
    Report { outcomes }
}
