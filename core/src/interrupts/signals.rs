//! OS signals as interrupts: a thread (signal-hook's iterator) forwards
//! SIGINT, SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 into one run loop through
//! its [`InterruptHandle`]. The loop delivers each at its next safe point,
//! to the handler of that kind or to the kind's default action.
//!
//! Nothing can make a program unstoppable. A signal whose kind has no
//! handler must be taken by the loop within [`GRACE`]; when the program
//! is somewhere the loop cannot reach (a long C call such as a
//! backtracking `string.find`, a handler that never returns, delivery
//! deferred), this thread ends the process itself with 128 + the signal's
//! number. A second SIGINT while the first is not yet dealt with (not yet
//! delivered, or its handler still runs) ends the process at once, as in
//! the stand-alone `lua`.

use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use signal_hook::consts::signal::{SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2};
use signal_hook::iterator::{Handle, Signals};

use crate::interrupts::interrupt::{InterruptHandle, SignalWatch};
use crate::values::ident::Ident;
use crate::values::value::SendValue;

/// The signals polyeval forwards, with their interrupt kinds.
pub const FORWARDED: [(i32, Ident); 5] = [
    (SIGINT, Ident::SIGINT),
    (SIGTERM, Ident::SIGTERM),
    (SIGHUP, Ident::SIGHUP),
    (SIGUSR1, Ident::SIGUSR1),
    (SIGUSR2, Ident::SIGUSR2),
];

/// How long a signal with no handler may wait for the loop to take it
/// before the signal thread ends the process.
pub const GRACE: Duration = Duration::from_millis(50);

/// The index of `kind` in [`FORWARDED`], if it is a forwarded signal.
pub(crate) fn index_of(kind: Ident) -> Option<usize> {
    FORWARDED.iter().position(|(_, k)| *k == kind)
}

/// Ends the process for signal `sig` (index `i`) from the signal thread.
#[cold]
fn end_process(i: usize, why: &str) -> ! {
    let (sig, kind) = FORWARDED[i];
    let _ = writeln!(
        std::io::stderr(),
        "polyeval: {}: {why}; exiting",
        kind.name()
    );
    std::process::exit(128 + sig)
}

/// Waits up to [`GRACE`] for the loop to take the `seq`-th signal `i`, and
/// ends the process if it does not.
fn watch(watch: &SignalWatch, i: usize, seq: u64) {
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline {
        if watch.taken[i].load(Ordering::SeqCst) >= seq {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    if watch.taken[i].load(Ordering::SeqCst) < seq {
        end_process(
            i,
            "the program did not reach a safe point in time (a long native call, a \
             running handler, or deferred delivery)",
        );
    }
}

/// Forwards OS signals to a run loop while it lives; dropping it restores
/// nothing (signal-hook keeps its handlers) but stops the thread.
pub struct SignalForwarder {
    handle: Handle,
    thread: Option<JoinHandle<()>>,
}

impl SignalForwarder {
    /// Starts forwarding the [`FORWARDED`] signals to `target`.
    ///
    /// # Errors
    ///
    /// The OS error when the handlers cannot be registered or the thread
    /// cannot start.
    pub fn start(target: InterruptHandle) -> std::io::Result<SignalForwarder> {
        let mut signals = Signals::new(FORWARDED.iter().map(|(s, _)| *s))?;
        let handle = signals.handle();
        let thread = std::thread::Builder::new()
            .name("polyeval-signals".into())
            .spawn(move || {
                let w: Arc<SignalWatch> = target.watch.clone();
                for sig in signals.forever() {
                    let Some(i) = FORWARDED.iter().position(|(s, _)| *s == sig) else {
                        continue;
                    };
                    let kind = FORWARDED[i].1;
                    if kind == Ident::SIGINT
                        && w.raised[i].load(Ordering::SeqCst) > w.finished[i].load(Ordering::SeqCst)
                    {
                        end_process(i, "a second SIGINT while the first was not dealt with");
                    }
                    let seq = w.raised[i].fetch_add(1, Ordering::SeqCst) + 1;
                    let payload = SendValue::Int(i64::from(sig));
                    if target.raise_ident(kind, payload).is_err() {
                        return;
                    }
                    if w.handled.load(Ordering::SeqCst) & (1 << i) == 0 {
                        let w = w.clone();
                        let _ = std::thread::Builder::new()
                            .name("polyeval-signal-watch".into())
                            .spawn(move || watch(&w, i, seq));
                    }
                }
            })?;
        Ok(SignalForwarder {
            handle,
            thread: Some(thread),
        })
    }
}

impl Drop for SignalForwarder {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
