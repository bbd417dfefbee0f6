//! Iterative dropping of nested values.
//!
//! A script can build structures nested a million levels deep (scopes whose
//! `outer` is the previous scope, arrays holding arrays). Rust drops such a
//! chain recursively and would overflow the native stack. Containers call
//! [`drop_values`] from their `Drop` instead: the first call on a thread
//! drains a work list in a loop, and nested calls only append to it, so the
//! native stack stays flat whatever the depth.

use std::cell::{Cell, RefCell};

use crate::values::value::Value;

thread_local! {
    static DRAINING: Cell<bool> = const { Cell::new(false) };
    static QUEUE: RefCell<Vec<Value>> = const { RefCell::new(Vec::new()) };
}

/// Whether dropping `v` would free an object (it holds the last reference),
/// which is when a nested chain could start. Containers test this first so
/// the common case costs no more than a plain drop.
#[inline]
pub fn is_last_ref(v: &Value) -> bool {
    matches!(v, Value::Obj(o) if std::rc::Rc::strong_count(o) == 1)
}

/// Drops `values` without recursing on the native stack.
pub fn drop_values(values: impl IntoIterator<Item = Value>) {
    // Only the last reference to an object can start a chain of drops; the
    // rest are dropped (decremented) right here by the filter.
    let mut last_refs = values.into_iter().filter(is_last_ref).peekable();
    if last_refs.peek().is_none() {
        return;
    }
    let queued = QUEUE.try_with(|q| q.borrow_mut().extend(last_refs));
    if queued.is_err() || DRAINING.try_with(Cell::get).unwrap_or(true) {
        return;
    }
    DRAINING.with(|d| d.set(true));
    loop {
        let next = QUEUE.with(|q| q.borrow_mut().pop());
        match next {
            // Dropping may run a container's `Drop`, which appends to the
            // queue instead of recursing.
            Some(v) => drop(v),
            None => break,
        }
    }
    DRAINING.with(|d| d.set(false));
}
