//! The driver protocol: how Lua code and the run loop hand control to each
//! other, so that no interpreter nests on the native stack.
//!
//! Every running piece of Lua is a [`LuaCont`] (`cont.rs`): a pooled
//! *driver thread* (`pool.rs`), resumed with raw `lua_resume`
//! (`ffi/resume.rs`) with no Lua frame of polyeval's under the user's code,
//! plus the loop's `back`. The loop calls a Lua value by starting such a
//! continuation (`call.rs`). A driver thread stops in one of these ways,
//! which its continuation reads after each resume:
//!
//! - returned: its results (the first goes to `back`); the thread goes
//!   back to the pool as it is;
//! - failed: the error value; its frames are read from its own stack,
//!   then it is closed (its `<close>` variables run) and pooled;
//! - yielded nothing: a hook preempted it, or Lua code gave the loop its
//!   turn (`irq.lua`'s `deliver`); it is resumed with nothing;
//! - yielded [`Marker::Pending`](crate::state::Marker): a send went to
//!   another continuation. A send from Lua is a raw C function
//!   (`ffi/send.rs`, set up by `send.rs`): an answer that is there at once
//!   is returned with no yield; a pending one yields `PENDING` with
//!   `lua_yieldk` (`ffi/outcome.rs`), and the step ends. The result comes
//!   back by `setr`, and the thread is resumed with it, or with `ERR,
//!   error` for an error the loop throws in; the send's continuation
//!   function (`send_k`) returns the result or raises the error. Where Lua
//!   cannot yield, the send waits in a nested run loop instead. No
//!   preemption may come between a pending send and its yield
//!   (`ffi::set_in_flight`);
//! - yielded `RESUME` (a `coroutine.resume` that can yield): the
//!   continuation resumes the coroutine's chain, and takes its values
//!   when it yields or ends (`ffi/coro.rs`, `ffi/corolib.rs`);
//! - yielded `YIELD` under values (a user `coroutine.yield`): the whole
//!   chain suspends, and the resumer's continuation takes the values.
//!
//! A user coroutine's own thread is a [`LuaCont`] too, the base of its
//! chain; when it ends, its resumer takes what it left.

mod call;
mod cont;
mod pool;
mod send;

pub(crate) use call::{call_lua, continuation};
pub use cont::LuaCont;
pub(crate) use send::{host_function, install_send_layer};
