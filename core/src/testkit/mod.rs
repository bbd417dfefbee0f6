//! The conformance kit: the properties every interpreter must keep on the
//! run loop (docs/design.md), checked from the interpreter crate's own
//! tests. Build with the `testkit` feature of `polyeval-core`.
//!
//! A bridge writer describes the language once, as a [`Subject`]: how to
//! install it into a fresh loop and the source of a few small programs
//! ([`Program`]). The kit loads those programs with [`Language::load`],
//! calls them with native peers written in the kit (objects and
//! continuations that hand off, fail, panic, deliver twice or name freed
//! continuations) and checks what comes back. Every check builds fresh
//! loops, and a failure panics with a message naming the check, the
//! language and what went wrong. A run that has not ended after two
//! minutes is stopped by a watchdog interrupt, and its check fails.
//!
//! The checks ([`CHECKS`], one function each in [`checks`]):
//! - [`deep_hand_off`]: subject ↔ native hand-offs, 100,000 levels deep
//!   and back, on a thread with a 256 KiB stack;
//! - [`detours_are_invisible`]: a detour at every step, under several
//!   quanta, changes neither results nor output;
//! - [`only_first_setr_counts`]: a second delivery to a waiting
//!   continuation is ignored;
//! - [`stale_handles`]: a handle to a freed continuation is a catchable
//!   `StaleContinuation` error, and the loop goes on;
//! - [`errors_cross_with_frames`]: errors cross both ways, caught or not,
//!   with the subject's frames in the backtrace;
//! - [`error_kinds_cross`]: a native error keeps its kind (`Runtime`,
//!   `StaleContinuation`, `Panic`) through the subject;
//! - [`budgets`]: the step budget stops an endless loop and lets a long
//!   one finish;
//! - [`native_panics`]: a panic in native code is a catchable `Panic`
//!   error, and the loop goes on.
//!
//! In the interpreter crate, `tests/conformance.rs`:
//!
//! ```ignore
//! use polyeval_core::testkit::{Program, Subject};
//! use polyeval_core::{Interp, ScriptError};
//!
//! struct MyLang;
//!
//! impl Subject for MyLang {
//!     fn language(&self) -> &'static str {
//!         "mylang"
//!     }
//!     fn install(&self, rt: &mut Interp) -> Result<(), ScriptError> {
//!         my_lang::install(rt)
//!     }
//!     fn source(&self, program: Program) -> String {
//!         match program {
//!             Program::Call => "(lambda (g x) (g x))".into(),
//!             // ... one source per program.
//!         }
//!     }
//! }
//!
//! // One #[test] per check, named after it.
//! polyeval_core::conformance_tests!(MyLang);
//! ```
//!
//! A check that fails because of a bug in the interpreter stays in the
//! list with `#[ignore]` and a reason, so that it shows in every test run:
//!
//! ```ignore
//! polyeval_core::conformance_tests!(MyLang;
//!     deep_hand_off, detours_are_invisible,
//!     #[ignore = "a second setr overwrites the first"] only_first_setr_counts,
//!     stale_handles, errors_cross_with_frames, error_kinds_cross, budgets,
//!     native_panics,
//! );
//! ```
//!
//! [`Language::load`]: crate::Language::load

use crate::error::ScriptError;
use crate::runloop::host::Interp;

pub mod checks;
mod harness;
pub mod peers;

pub use checks::{
    budgets, deep_hand_off, detours_are_invisible, error_kinds_cross, errors_cross_with_frames,
    native_panics, only_first_setr_counts, run_all, stale_handles, Report, CHECKS,
};

/// An interpreter under test, as its crate describes it to the kit.
///
/// It is `Sync` because a check may run on a thread of its own (the deep
/// hand-off needs a small stack); a unit struct is.
pub trait Subject: Sync {
    /// The name the language is registered under ([`Interp::language`]).
    fn language(&self) -> &'static str;

    /// What [`crate::Continuation::interpreter`] answers for the
    /// language's frames, as backtraces show it. The default is
    /// [`Subject::language`]; m0ld's frames say `"smop"`.
    fn interpreter(&self) -> &'static str {
        self.language()
    }

    /// Installs the language into `rt` and registers it under
    /// [`Subject::language`]. `rt` is a fresh loop that the kit has already
    /// configured (output, quantum, step budget, probe schedule), as a
    /// host configures a loop before it installs interpreters: an
    /// interpreter may decide at installation how it counts steps (see
    /// [`Cx::exact_step_counting`]).
    ///
    /// # Errors
    ///
    /// Whatever keeps the language from being set up; the check fails
    /// with it.
    fn install(&self, rt: &mut Interp) -> Result<(), ScriptError>;

    /// The source of `program` in this language. The kit loads it with
    /// [`crate::Language::load`] and calls the loaded chunk once, with no
    /// arguments: the chunk's result is the function the program
    /// describes (a Lua chunk `return function ... end`, an m0ld chunk
    /// whose last register holds a `Code`), which the kit then calls with
    /// the arguments [`Program`] documents, as often as it likes.
    fn source(&self, program: Program) -> String;
}

/// The programs a [`Subject`] writes for the kit. Each describes the
/// function its chunk answers: its arguments and what it returns. "Calls"
/// means the language's ordinary call of a run-loop object (sending it
/// [`crate::Ident::CALL`]); the kit's peers may answer at once or hand
/// off, and the program must take both (the interpreter does).
/// Integers are the run loop's `Value::Int`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Program {
    /// `f(g, x)`: calls `g(x)` and returns its result.
    Call,
    /// `f(peer, n)`: returns `0` when `n == 0`, otherwise `peer(n - 1) + 1`.
    /// The kit's peer calls `f(peer, m - 1)` in turn, so the two recurse
    /// mutually through the run loop.
    Recurse,
    /// `f(msg)`: raises an error whose message contains the string `msg`
    /// (`error(msg)`, `$interpreter."die"(msg)`).
    Raise,
    /// `f(g, x)`: calls `g(x)` protected. Returns `g`'s result when it
    /// succeeds, and when it fails, a string that contains the error's
    /// message (Lua's `pcall` error value, m0ld's `message`).
    Catch,
    /// `f()`: loops forever without calling anything.
    Spin,
    /// `f(n)`: computes `1 + 2 + ... + n` in a loop of `n` iterations,
    /// writes it to the program output followed by a newline (`print`,
    /// `$OUT."say"`), and returns it. It is long enough at `n = 20,000` to
    /// take many steps.
    Sum,
}

impl Program {
    /// Every program, in declaration order.
    pub const ALL: [Program; 6] = [
        Program::Call,
        Program::Recurse,
        Program::Raise,
        Program::Catch,
        Program::Spin,
        Program::Sum,
    ];

    /// A short lower-case name, used in chunk names and messages.
    pub fn name(self) -> &'static str {
        match self {
            Program::Call => "call",
            Program::Recurse => "recurse",
            Program::Raise => "raise",
            Program::Catch => "catch",
            Program::Spin => "spin",
            Program::Sum => "sum",
        }
    }
}

/// Generates one `#[test]` per conformance check for a [`Subject`]
/// expression, each named after its check.
///
/// `conformance_tests!(S)` generates every check. `conformance_tests!(S;
/// name, #[ignore = "why"] name, ...)` generates the listed ones, with
/// their attributes, and a test `conformance_lists_every_check` that fails
/// when a check of [`CHECKS`] is missing from the list.
#[macro_export]
macro_rules! conformance_tests {
    ($subject:expr $(;)?) => {
        $crate::conformance_tests!($subject;
            deep_hand_off,
            detours_are_invisible,
            only_first_setr_counts,
            stale_handles,
            errors_cross_with_frames,
            error_kinds_cross,
            budgets,
            native_panics,
        );
    };
    ($subject:expr; $($(#[$meta:meta])* $check:ident),+ $(,)?) => {
        $(
            #[test]
            $(#[$meta])*
            fn $check() {
                $crate::testkit::checks::$check(&$subject);
            }
        )+

        #[test]
        fn conformance_lists_every_check() {
            let listed: &[&str] = &[$(stringify!($check)),+];
            for check in $crate::testkit::CHECKS {
                assert!(
                    listed.contains(&check),
                    "the conformance check `{check}` is not in conformance_tests!'s list"
                );
            }
        }
    };
}
