//! `LexicalScope`: named containers with an `outer` chain.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use polyeval_core::{Bytes, Capture, ErrorKind, Ident, Interp, Object, Reply, ScriptError, Value};

use super::containers::ScalarObj;
use super::{downcast_rc, ok, reply_self};

/// A lexical scope: names bound to scalar containers, and an outer scope.
#[derive(Default)]
pub struct ScopeObj {
    /// This scope's own entries.
    pub entries: RefCell<HashMap<Bytes, Rc<ScalarObj>>>,
    /// The outer scope (undef at the top).
    pub outer: RefCell<Value>,
}

impl ScopeObj {
    /// A new, empty scope with `outer`.
    pub fn new_rc(outer: Value) -> Rc<ScopeObj> {
        Rc::new(ScopeObj {
            entries: RefCell::default(),
            outer: RefCell::new(outer),
        })
    }

    /// Binds `name` to a fresh container holding `v` in this scope.
    pub fn bind(&self, name: &str, v: Value) {
        self.entries
            .borrow_mut()
            .insert(Rc::from(name.as_bytes()), ScalarObj::new_rc(v));
    }

    /// Finds `name` here or along the outer chain; returns its container.
    pub fn find(&self, name: &[u8]) -> Option<Rc<ScalarObj>> {
        if let Some(c) = self.entries.borrow().get(name) {
            return Some(c.clone());
        }
        let mut outer = self.outer.borrow().clone();
        loop {
            let scope = outer.downcast::<ScopeObj>()?;
            if let Some(c) = scope.entries.borrow().get(name) {
                return Some(c.clone());
            }
            let next = scope.outer.borrow().clone();
            outer = next;
        }
    }
}

fn name_arg(cap: &Capture) -> Result<Bytes, ScriptError> {
    match cap.pos(0)? {
        Value::Str(s) => Ok(s.clone()),
        other => Err(ScriptError::wrong_type(
            "a scope name",
            "Str",
            other.type_name(),
        )),
    }
}

impl Object for ScopeObj {
    fn type_name(&self) -> &'static str {
        "LexicalScope"
    }

    fn send(&self, _rt: &mut Interp, method: Ident, cap: Capture) -> Result<Reply, ScriptError> {
        match method.name() {
            "lookup" => {
                let name = name_arg(&cap)?;
                match self.find(&name) {
                    Some(c) => ok(Value::Obj(c)),
                    None => Err(ScriptError::new(
                        ErrorKind::Runtime,
                        format!(
                            "name \"{}\" is not bound in this scope or its outer scopes",
                            String::from_utf8_lossy(&name)
                        ),
                    )),
                }
            }
            "postcircumfix:{ }" => {
                let name = name_arg(&cap)?;
                let c = self
                    .entries
                    .borrow_mut()
                    .entry(name)
                    .or_insert_with(|| ScalarObj::new_rc(Value::Nil))
                    .clone();
                ok(Value::Obj(c))
            }
            "exists" => ok(Value::Bool(
                self.entries.borrow().contains_key(&name_arg(&cap)?),
            )),
            "outer" => {
                let scope = downcast_rc::<ScopeObj>(&cap.invocant)?;
                ok(Value::obj(OuterContainer { scope }))
            }
            "clone" => ok(Value::obj(ScopeObj {
                entries: RefCell::new(self.entries.borrow().clone()),
                outer: RefCell::new(self.outer.borrow().clone()),
            })),
            "FETCH" => reply_self(cap),
            "defined" | "true" => ok(Value::Bool(true)),
            _ => Err(ScriptError::unknown_method("LexicalScope", method)),
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

    fn send(&self, _rt: &mut Interp, method: Ident, cap: Capture) -> Result<Reply, ScriptError> {
        match method {
            Ident::FETCH => ok(self.scope.outer.borrow().clone()),
            Ident::STORE => {
                let v = cap.pos(0)?.clone();
                *self.scope.outer.borrow_mut() = v.clone();
                ok(v)
            }
            _ => Err(ScriptError::unknown_method("Scalar", method)),
        }
    }
}
