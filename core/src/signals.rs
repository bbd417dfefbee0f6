//! OS signals as interrupts: a thread (signal-hook's iterator) forwards
//! SIGINT, SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 into one run loop through
//! its [`InterruptHandle`]. The loop delivers each at its next safe point,
//! to the handler of that kind or to the kind's default action.

use std::thread::JoinHandle;

use signal_hook::consts::signal::{SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2};
use signal_hook::iterator::{Handle, Signals};

use crate::ident::Ident;
use crate::interrupt::InterruptHandle;
use crate::value::SendValue;

/// The signals polyeval forwards, with their interrupt kinds.
pub const FORWARDED: [(i32, Ident); 5] = [
    (SIGINT, Ident::SIGINT),
    (SIGTERM, Ident::SIGTERM),
    (SIGHUP, Ident::SIGHUP),
    (SIGUSR1, Ident::SIGUSR1),
    (SIGUSR2, Ident::SIGUSR2),
];

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
                for sig in signals.forever() {
                    let Some((_, kind)) = FORWARDED.iter().find(|(s, _)| *s == sig) else {
                        continue;
                    };
                    let payload = SendValue::Int(i64::from(sig));
                    if target.raise_ident(*kind, payload).is_err() {
                        return;
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
