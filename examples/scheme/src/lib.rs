//! A small Scheme for polyeval, written only against `polyeval-core`'s
//! public API: the bridge guide's worked example of a third interpreter.
//!
//! It has `define`, `lambda`, `let` (named too), `let*`, `letrec`, `if`,
//! `cond`, `case`, `and`, `or`, `when`, `unless`, `begin`, `set!`,
//! `quote` and one-level `quasiquote`; numbers, strings, booleans, symbols
//! and lists; proper tail calls; `call/cc`; errors with positions; and
//! calls to and from every other registered language.
//!
//! # Example
//!
//! ```
//! use polyeval_core::{CallValue, Interp, Value};
//!
//! let mut rt = Interp::new();
//! polyeval_scheme::install(&mut rt);
//! let lang = rt.language("scheme").expect("installed");
//! let program = lang
//!     .load(rt.cx(), b"(define (fact n) (if (= n 0) 1 (* n (fact (- n 1))))) (fact 20)", "fact.scm")
//!     .expect("compiles");
//! rt.start(Box::new(CallValue::new(program, Vec::new())));
//! let v = rt.run().expect("runs");
//! assert!(matches!(v, Value::Int(2_432_902_008_176_640_000)));
//! ```
//!
//! # Values
//!
//! `'()` is [`polyeval_core::Value::Nil`] (so Lua's `nil` arrives as
//! `'()`, which is true in Scheme: only `#f` is false), booleans are
//! `Value::Bool`, exact integers `Value::Int` (64 bits; a result that does
//! not fit becomes inexact), inexact numbers `Value::Float`, strings
//! `Value::Str`. Pairs, symbols and procedures are objects other
//! interpreters can hold and call.
//!
//! # Reaching other languages
//!
//! Applying a value that is not a Scheme procedure sends it
//! `postcircumfix:( )` with the arguments (a Lua function, an m0ld Code, a
//! native object); `(send obj "method" arg ...)` sends any method;
//! `(eval-in "lua" "return 1 + 2")` runs source in a registered language;
//! `(interpreter)` is the run loop's `$interpreter` object, so
//! `(send (interpreter) "on_interrupt" "warning" handler)` installs an
//! interrupt handler. Calls out never keep a native frame: Scheme ends its
//! step and the result comes back through `setr`.
//!
//! # Errors
//!
//! Every error message starts with `file:line:col:` of the failing
//! expression, and backtraces show a frame, with its procedure's name,
//! for every Scheme frame waiting for a value. `(catch thunk handler)`
//! calls `thunk`; if an error escapes it (from Scheme, or from Lua or m0ld
//! code it called), `handler` is called with the condition and its result
//! is `catch`'s. The condition is the object given to `(raise obj)`, the
//! condition `(error msg irritant ...)` made, and polyeval's error object
//! for anything else; `error-object-message` and `error-object-irritants`
//! read them. Uncaught errors leave Scheme with their frames, so other
//! interpreters catch them as their own kind of error.
//!
//! # Continuations
//!
//! Within Scheme's own frames a continuation is first class and may be
//! resumed any number of times. Each *activation* of Scheme (a program
//! run, or one call from another interpreter) ends in a bottom frame that
//! returns to whoever started it, and it returns only once. So a
//! continuation whose frames reach into another interpreter may be
//! resumed only once past that point: resumed after its activation
//! returned, it fails at the call that resumed it (where a `catch` sees
//! the error), before any of its frames runs again, with "this
//! continuation returns into lua (...), which it has already done once; a
//! continuation that reaches into another interpreter may be resumed only
//! once". Resumed while its activation still waits further down the chain
//! of callers (an escape from inside a Lua callback, say), the frames in
//! between, other interpreters' included, are abandoned and the
//! activation goes on with the continuation's frames.
//!
//! # Budgets, interrupts and the REPL
//!
//! A step runs at most the loop's quantum of machine transitions and ends
//! early when an interrupt waits, so the step budget stops any loop and
//! interrupt handlers (any callable, Scheme procedures too) run between
//! any two steps without the program noticing. Each transition also asks
//! the memory limit, when one is set, for room. [`Scheme`]'s `repl` reads
//! forms line by line and shows their values.
//!
//! # Memory
//!
//! Values are reference counted. Frames, lists and environments are freed
//! without recursion. A closure or continuation stored in an environment
//! it holds (`letrec`, a continuation kept in a local variable it
//! captured, an internal `define` or named `let` whose procedure is used
//! as a value) is a reference cycle and is not reclaimed. Internal
//! defines and named lets whose procedures are only called hold their
//! code, not a closure, so they make no cycle.
#![forbid(unsafe_code)]

mod ast;
mod builtins;
mod compile;
mod cont;
mod env;
mod frames;
mod lang;
mod machine;
mod numbers;
mod print;
pub mod read;
mod repl;
pub mod values;

pub use lang::{Program, Scheme};

use std::rc::Rc;

use polyeval_core::{Cx, Interp};

/// Registers Scheme on `rt` as the language `"scheme"` (files `.scm`),
/// with its global environment: one per run loop, shared by every program
/// loaded into it.
pub fn install(rt: &mut Interp) {
    env::Globals::of(rt.cx());
    rt.register_language(Rc::new(Scheme));
}

/// Binds the global variable `name` of `rt`'s Scheme environment to
/// `value`, so that Scheme code can use a host's objects.
pub fn define(rt: &mut Cx, name: &str, value: polyeval_core::Value) {
    env::Globals::of(rt).define(name, value);
}

/// The value of the global variable `name` of `rt`'s Scheme environment,
/// if it is bound.
pub fn global(rt: &mut Cx, name: &str) -> Option<polyeval_core::Value> {
    let cell = env::Globals::of(rt).cell(polyeval_core::Ident::new(name));
    let v = cell.value.borrow().clone();
    v
}
