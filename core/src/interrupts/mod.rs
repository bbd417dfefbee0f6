//! Interrupts as a theme: the queue and the handle that raises into it
//! from any thread, OS signal forwarding, the timer thread, and the
//! continuations scripts use around them (`sleep`, `without_interrupts`).
//! The loop's side (delivery between steps, probes) is
//! `runloop/interrupts.rs`.

pub(crate) mod interrupt;
pub(crate) mod irqconts;
pub mod signals;
pub(crate) mod timer;

pub use interrupt::{DefaultAction, Interrupt, InterruptHandle, Waker};
pub use irqconts::{NopHandler, Sleep, WithoutInterrupts};
pub use timer::TimerObject;
