//! Timers: one thread per run loop, started with its first timer, raises an
//! interrupt through the loop's [`InterruptHandle`] when a timer fires; and
//! the `Timer` object scripts get back, which cancels it.
//!
//! The thread ends when the loop is dropped (its command channel closes).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::error::ScriptError;
use crate::interrupts::interrupt::InterruptHandle;
use crate::runloop::Cx;
use crate::values::capture::Capture;
use crate::values::ident::Ident;
use crate::values::object::{answer_plain, Object, Reply};
use crate::values::value::{SendValue, Value};

enum Cmd {
    Add {
        id: u64,
        at: Instant,
        every: Option<Duration>,
        kind: Ident,
        payload: SendValue,
    },
    Cancel(u64),
}

/// The loop's side of its timer thread.
pub(crate) struct Timers {
    tx: Sender<Cmd>,
    next_id: u64,
}

struct Armed {
    every: Option<Duration>,
    kind: Ident,
    payload: SendValue,
}

impl Timers {
    /// Starts the timer thread, which raises through `handle`.
    pub fn start(handle: InterruptHandle) -> Result<Timers, ScriptError> {
        let (tx, rx) = crossbeam_channel::unbounded();
        std::thread::Builder::new()
            .name("polyeval-timers".into())
            .spawn(move || timer_thread(&rx, &handle))
            .map_err(|e| ScriptError::runtime(format!("cannot start the timer thread: {e}")))?;
        Ok(Timers { tx, next_id: 1 })
    }

    /// Arms a timer that raises `kind` with `payload` after `after`, and
    /// then every `every` if given. Returns the script's `Timer` object.
    pub fn add(
        &mut self,
        after: Duration,
        every: Option<Duration>,
        kind: Ident,
        payload: SendValue,
    ) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let _ = self.tx.send(Cmd::Add {
            id,
            at: Instant::now() + after,
            every,
            kind,
            payload,
        });
        Value::obj(TimerObject {
            id,
            kind,
            tx: self.tx.clone(),
        })
    }
}

fn timer_thread(rx: &Receiver<Cmd>, handle: &InterruptHandle) {
    let mut due: BinaryHeap<Reverse<(Instant, u64)>> = BinaryHeap::new();
    let mut armed: HashMap<u64, Armed> = HashMap::new();
    loop {
        let cmd = match due.peek() {
            Some(Reverse((at, _))) => rx.recv_deadline(*at),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match cmd {
            Ok(Cmd::Add {
                id,
                at,
                every,
                kind,
                payload,
            }) => {
                armed.insert(
                    id,
                    Armed {
                        every,
                        kind,
                        payload,
                    },
                );
                due.push(Reverse((at, id)));
            }
            Ok(Cmd::Cancel(id)) => {
                armed.remove(&id);
            }
            Err(RecvTimeoutError::Timeout) => {
                let now = Instant::now();
                while let Some(&Reverse((at, id))) = due.peek() {
                    if at > now {
                        break;
                    }
                    due.pop();
                    let Some(t) = armed.get(&id) else { continue };
                    if handle.raise_ident(t.kind, t.payload.clone()).is_err() {
                        return;
                    }
                    match t.every {
                        // A repeating timer keeps its phase; one that fell a
                        // whole period behind skips the missed firings.
                        Some(every) => {
                            let next = (at + every).max(now);
                            due.push(Reverse((next, id)));
                        }
                        None => {
                            armed.remove(&id);
                        }
                    }
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// A script's handle to a timer: `cancel` stops it.
pub struct TimerObject {
    id: u64,
    kind: Ident,
    tx: Sender<Cmd>,
}

impl Object for TimerObject {
    fn type_name(&self) -> &'static str {
        "Timer"
    }

    fn send(&self, _rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        match method {
            Ident::CANCEL => {
                let _ = self.tx.send(Cmd::Cancel(self.id));
                Ok(Reply::Value(Value::Nil))
            }
            Ident::STR => Ok(Reply::Value(Value::str(format!(
                "Timer({}, {})",
                self.id,
                self.kind.name()
            )))),
            _ => answer_plain("Timer", method, cap),
        }
    }
}

/// The longest delay a timer or `sleep` takes: 100 years. Longer finite
/// delays are clamped to it (the clock could not represent them, and no
/// program waits that long).
pub const MAX_DELAY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Reads a duration in seconds from a script value; finite delays longer
/// than [`MAX_DELAY`] are clamped to it.
///
/// # Errors
///
/// A wrong-type error naming `what` for anything but a number, and a
/// runtime error for a negative number, NaN or an infinity.
pub fn seconds(v: &Value, what: &str) -> Result<Duration, ScriptError> {
    let s = match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => return Err(ScriptError::wrong_type(what, "a number", v.type_name())),
    };
    if !s.is_finite() || s < 0.0 {
        return Err(bad_seconds(what, v));
    }
    Ok(Duration::try_from_secs_f64(s).map_or(MAX_DELAY, |d| d.min(MAX_DELAY)))
}

#[cold]
fn bad_seconds(what: &str, v: &Value) -> ScriptError {
    let got = match v {
        Value::Float(f) => crate::format_float(*f),
        Value::Int(i) => i.to_string(),
        other => other.type_name().to_owned(),
    };
    ScriptError::runtime(format!(
        "{what} must be a finite, non-negative number of seconds, got {got}"
    ))
}
