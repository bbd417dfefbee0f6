//! `LexicalScope`: named containers with an `outer` chain.
//!
//! Most scopes are small (a Code call's scope is usually empty), so names
//! live in a vector searched linearly; a scope that grows past
//! `INDEX_AT` entries gets a hash index beside it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::names;
use polyeval_core::{
    answer_plain, drop_values, is_last_ref, Bytes, Capture, Cx, ErrorKind, Ident, Object, Reply,
    ScriptError, Value,
};

use super::containers::ScalarObj;
use super::{container_send, downcast_rc, ok};

/// Above this many entries a scope keeps a hash index.
const INDEX_AT: usize = 16;

thread_local! {
    /// Bumped by every change that can change what a lookup finds (a name
    /// bound, a container replaced, an `outer` stored), so that lookup
    /// caches ([`crate::mold::LookupCache`]) know when to search again.
    static EPOCH: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The current scope epoch (see `EPOCH`).
#[inline]
pub fn epoch() -> u64 {
    EPOCH.with(std::cell::Cell::get)
}

fn bump_epoch() {
    EPOCH.with(|e| e.set(e.get().wrapping_add(1)));
}

/// The error of a lookup that found nothing.
#[cold]
#[inline(never)]
pub fn not_bound(name: &[u8]) -> ScriptError {
    ScriptError::new(
        ErrorKind::Runtime,
        format!(
            "name \"{}\" is not bound in this scope or its outer scopes",
            String::from_utf8_lossy(name)
        ),
    )
}

/// The names of one scope, in insertion order.
#[derive(Clone, Default)]
pub struct Names {
    entries: Vec<(Bytes, Rc<ScalarObj>)>,
    // Boxed on purpose: most scopes never build the index, and the box keeps
    // every scope (one per Code call) 40 bytes smaller.
    #[allow(clippy::box_collection)]
    index: Option<Box<HashMap<Bytes, usize>>>,
}

impl Names {
    /// The container bound to `name`.
    pub fn get(&self, name: &[u8]) -> Option<&Rc<ScalarObj>> {
        match &self.index {
            Some(ix) => ix.get(name).map(|&i| &self.entries[i].1),
            None => self
                .entries
                .iter()
                .find(|(n, _)| n.len() == name.len() && **n == *name)
                .map(|(_, c)| c),
        }
    }

    /// Binds `name` to `c`, replacing any earlier binding.
    pub fn insert(&mut self, name: Bytes, c: Rc<ScalarObj>) {
        bump_epoch();
        if let Some(slot) = self.position(&name) {
            self.entries[slot].1 = c;
            return;
        }
        if let Some(ix) = &mut self.index {
            ix.insert(name.clone(), self.entries.len());
        }
        self.entries.push((name, c));
        if self.index.is_none() && self.entries.len() > INDEX_AT {
            self.index = Some(Box::new(
                self.entries
                    .iter()
                    .enumerate()
                    .map(|(i, (n, _))| (n.clone(), i))
                    .collect(),
            ));
        }
    }

    fn position(&self, name: &[u8]) -> Option<usize> {
        match &self.index {
            Some(ix) => ix.get(name).copied(),
            None => self.entries.iter().position(|(n, _)| **n == *name),
        }
    }

    /// How many names are bound.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no name is bound.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A lexical scope: names bound to scalar containers, and an outer scope.
#[derive(Default)]
pub struct ScopeObj {
    /// This scope's own entries.
    pub names: RefCell<Names>,
    /// The outer scope (undef at the top).
    pub outer: RefCell<Value>,
}

impl ScopeObj {
    /// A new, empty scope with `outer`.
    pub fn new_rc(outer: Value) -> Rc<ScopeObj> {
        Rc::new(ScopeObj {
            names: RefCell::default(),
            outer: RefCell::new(outer),
        })
    }

    /// Binds `name` to a fresh container holding `v` in this scope.
    pub fn bind(&self, name: &str, v: Value) {
        self.names
            .borrow_mut()
            .insert(Rc::from(name.as_bytes()), ScalarObj::new_rc(v));
    }

    /// Finds `name` here or along the outer chain; returns its container.
    pub fn find(&self, name: &[u8]) -> Option<Rc<ScalarObj>> {
        if let Some(c) = self.names.borrow().get(name) {
            return Some(c.clone());
        }
        let mut outer = self.outer.borrow().clone();
        loop {
            let scope = outer.downcast::<ScopeObj>()?;
            if let Some(c) = scope.names.borrow().get(name) {
                return Some(c.clone());
            }
            let next = scope.outer.borrow().clone();
            outer = next;
        }
    }
}

impl Drop for ScopeObj {
    fn drop(&mut self) {
        if self.names.get_mut().is_empty() && !is_last_ref(self.outer.get_mut()) {
            return;
        }
        let names = std::mem::take(self.names.get_mut());
        let outer = self.outer.take();
        drop_values(
            names
                .entries
                .into_iter()
                .map(|(_, c)| Value::Obj(c))
                .chain([outer]),
        );
    }
}

fn name_arg(cap: &Capture<'_>) -> Result<Bytes, ScriptError> {
    match cap.pos(0)? {
        Value::Str(s) => Ok(s.clone()),
        other => Err(ScriptError::wrong_type(
            "a scope name",
            "Str",
            super::type_name(other),
        )),
    }
}

impl Object for ScopeObj {
    fn type_name(&self) -> &'static str {
        "LexicalScope"
    }

    fn send(&self, _rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        match method {
            m if m == names::LOOKUP.get() => {
                let name = name_arg(&cap)?;
                match self.find(&name) {
                    Some(c) => ok(Value::Obj(c)),
                    None => Err(not_bound(&name)),
                }
            }
            m if m == names::AT_KEY.get() => {
                let name = name_arg(&cap)?;
                let found = self.names.borrow().get(&name).cloned();
                let c = match found {
                    Some(c) => c,
                    None => {
                        let c = ScalarObj::new_rc(Value::Nil);
                        self.names.borrow_mut().insert(name, c.clone());
                        c
                    }
                };
                ok(Value::Obj(c))
            }
            m if m == names::EXISTS.get() => ok(Value::Bool(
                self.names.borrow().get(&name_arg(&cap)?).is_some(),
            )),
            m if m == names::OUTER.get() => {
                let scope = downcast_rc::<ScopeObj>(cap.invocant)?;
                ok(Value::obj(OuterContainer { scope }))
            }
            m if m == names::CLONE.get() => ok(Value::obj(ScopeObj {
                names: RefCell::new(self.names.borrow().clone()),
                outer: RefCell::new(self.outer.borrow().clone()),
            })),
            Ident::ELEMS => ok(Value::Int(self.names.borrow().len() as i64)),
            _ => answer_plain("LexicalScope", method, cap),
        }
    }
}

/// The container `$scope."outer"()` returns.
struct OuterContainer {
    scope: Rc<ScopeObj>,
}

impl Object for OuterContainer {
    fn type_name(&self) -> &'static str {
        "Scalar"
    }

    fn send(&self, _rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        container_send(
            "Scalar",
            method,
            cap,
            || self.scope.outer.borrow().clone(),
            |v| {
                bump_epoch();
                *self.scope.outer.borrow_mut() = v;
            },
        )
    }
}
