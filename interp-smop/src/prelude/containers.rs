//! `Scalar`, `Array` and `Hash`, and the element containers that
//! `postcircumfix:[ ]` and `postcircumfix:{ }` return.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::names;
use polyeval_core::{
    answer_plain, drop_values, is_last_ref, memory, Bytes, Capture, Cx, Ident, Object, Reply,
    ScriptError, Value,
};

use super::{container_send, downcast_rc, ok};

/// A scalar container: `FETCH` reads it, `STORE` writes it.
#[derive(Default)]
pub struct ScalarObj {
    /// The contained value.
    pub value: RefCell<Value>,
}

impl ScalarObj {
    /// A new container holding `v`.
    pub fn new_rc(v: Value) -> Rc<ScalarObj> {
        Rc::new(ScalarObj {
            value: RefCell::new(v),
        })
    }
}

impl Drop for ScalarObj {
    fn drop(&mut self) {
        if is_last_ref(self.value.get_mut()) {
            drop_values([self.value.take()]);
        }
    }
}

impl Object for ScalarObj {
    fn type_name(&self) -> &'static str {
        "Scalar"
    }

    fn send(&self, _rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method == Ident::DEFINED {
            return ok(Value::Bool(self.value.borrow().is_defined()));
        }
        container_send(
            "Scalar",
            method,
            cap,
            || self.value.borrow().clone(),
            |v| *self.value.borrow_mut() = v,
        )
    }
}

/// An array of values.
#[derive(Default)]
pub struct ArrayObj {
    /// The elements.
    pub items: RefCell<Vec<Value>>,
}

fn index_arg(cap: &Capture<'_>) -> Result<usize, ScriptError> {
    match cap.pos(0)? {
        Value::Int(i) if *i >= 0 => Ok(*i as usize),
        Value::Int(i) => Err(ScriptError::runtime(format!("array index {i} is negative"))),
        other => Err(ScriptError::wrong_type(
            "an array index",
            "Int",
            super::type_name(other),
        )),
    }
}

/// Makes room for `n` more elements in `items`, within the memory limit;
/// the system's refusal is an error too, not an abort.
fn grow(rt: &mut Cx, items: &RefCell<Vec<Value>>, n: usize) -> Result<(), ScriptError> {
    let Some(bytes) = memory::growth(&items.borrow(), n) else {
        return Ok(());
    };
    rt.reserve_memory(bytes)?;
    memory::try_grow(&mut items.borrow_mut(), n)?;
    Ok(())
}

/// About what a new hash entry costs: its key, its value and its share of
/// a tree node.
const HASH_ENTRY_BYTES: usize = 64;

impl Drop for ArrayObj {
    fn drop(&mut self) {
        if self.items.get_mut().iter().any(is_last_ref) {
            drop_values(self.items.take());
        }
    }
}

impl Object for ArrayObj {
    fn type_name(&self) -> &'static str {
        "Array"
    }

    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        match method {
            m if m == names::AT_POS.get() => {
                let index = index_arg(&cap)?;
                let array = downcast_rc::<ArrayObj>(cap.invocant)?;
                ok(Value::obj(ArrayElem { array, index }))
            }
            m if m == names::PUSH.get() => {
                grow(rt, &self.items, cap.positional.len())?;
                let mut items = self.items.borrow_mut();
                items.extend(cap.positional.iter().cloned());
                ok(Value::Int(items.len() as i64))
            }
            m if m == names::POP.get() => ok(self.items.borrow_mut().pop().unwrap_or_default()),
            m if m == names::SHIFT.get() => {
                let mut items = self.items.borrow_mut();
                ok(if items.is_empty() {
                    Value::Nil
                } else {
                    items.remove(0)
                })
            }
            m if m == names::UNSHIFT.get() => {
                grow(rt, &self.items, cap.positional.len())?;
                let mut items = self.items.borrow_mut();
                items.splice(0..0, cap.positional.iter().cloned());
                ok(Value::Int(items.len() as i64))
            }
            Ident::ELEMS => ok(Value::Int(self.items.borrow().len() as i64)),
            _ => answer_plain("Array", method, cap),
        }
    }
}

/// A container for one array element.
pub struct ArrayElem {
    array: Rc<ArrayObj>,
    index: usize,
}

impl Object for ArrayElem {
    fn type_name(&self) -> &'static str {
        "ArrayElement"
    }

    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method == names::STORE.get() {
            let missing = self
                .index
                .saturating_add(1)
                .saturating_sub(self.array.items.borrow().len());
            grow(rt, &self.array.items, missing)?;
        }
        container_send(
            "ArrayElement",
            method,
            cap,
            || {
                self.array
                    .items
                    .borrow()
                    .get(self.index)
                    .cloned()
                    .unwrap_or_default()
            },
            |v| {
                let mut items = self.array.items.borrow_mut();
                if items.len() <= self.index {
                    items.resize(self.index + 1, Value::Nil);
                }
                items[self.index] = v;
            },
        )
    }
}

/// A hash from byte-string keys to values; `keys` come out sorted.
#[derive(Default)]
pub struct HashObj {
    /// The entries.
    pub map: RefCell<BTreeMap<Bytes, Value>>,
}

/// The key a value stands for in a hash: its string rendering.
fn key_of(v: &Value) -> Bytes {
    match v {
        Value::Str(s) => s.clone(),
        other => Rc::from(other.render()),
    }
}

impl Drop for HashObj {
    fn drop(&mut self) {
        if self.map.get_mut().values().any(is_last_ref) {
            drop_values(self.map.take().into_values());
        }
    }
}

impl Object for HashObj {
    fn type_name(&self) -> &'static str {
        "Hash"
    }

    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        match method {
            m if m == names::AT_KEY.get() => {
                let key = key_of(cap.pos(0)?);
                let hash = downcast_rc::<HashObj>(cap.invocant)?;
                ok(Value::obj(HashElem { hash, key }))
            }
            m if m == names::EXISTS.get() => ok(Value::Bool(
                self.map.borrow().contains_key(&key_of(cap.pos(0)?)),
            )),
            m if m == names::DELETE.get() => ok(self
                .map
                .borrow_mut()
                .remove(&key_of(cap.pos(0)?))
                .unwrap_or_default()),
            m if m == names::KEYS.get() => {
                let n = self.map.borrow().len();
                rt.reserve_memory(n.saturating_mul(std::mem::size_of::<Value>()))?;
                let mut keys = Vec::new();
                memory::try_grow(&mut keys, n)?;
                keys.extend(self.map.borrow().keys().map(|k| Value::Str(k.clone())));
                ok(Value::obj(ArrayObj {
                    items: RefCell::new(keys),
                }))
            }
            Ident::ELEMS => ok(Value::Int(self.map.borrow().len() as i64)),
            _ => answer_plain("Hash", method, cap),
        }
    }
}

/// A container for one hash entry. Fetching a missing key gives undef
/// and does not create it; storing creates it.
pub struct HashElem {
    hash: Rc<HashObj>,
    key: Bytes,
}

impl Object for HashElem {
    fn type_name(&self) -> &'static str {
        "HashElement"
    }

    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method == names::STORE.get()
            && memory::active()
            && !self.hash.map.borrow().contains_key(&self.key)
        {
            rt.reserve_memory(HASH_ENTRY_BYTES)?;
        }
        container_send(
            "HashElement",
            method,
            cap,
            || {
                self.hash
                    .map
                    .borrow()
                    .get(&self.key)
                    .cloned()
                    .unwrap_or_default()
            },
            |v| {
                self.hash.map.borrow_mut().insert(self.key.clone(), v);
            },
        )
    }
}
