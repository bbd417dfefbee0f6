//! The SMOP prelude: the lexical scope a file's top frame starts with, and
//! the objects bound in it (`$OUT`, `Scalar`, `Array`, `Hash`,
//! `LexicalScope`, `Code`, `True`, `False`).

pub mod code;
pub mod containers;
pub mod out;
pub mod scope;

use std::any::Any;
use std::rc::Rc;

use crate::names;
use polyeval_core::{Capture, Cx, Ident, Interp, Language, Object, Reply, ScriptError, Value};

use self::code::CodeObj;
use self::containers::{ArrayObj, HashObj, ScalarObj};
use self::scope::ScopeObj;

/// The per-loop SMOP state, stored in the run loop with `Interp::set_ext`.
pub struct SmopState {
    /// The prelude scope.
    pub prelude: Rc<ScopeObj>,
}

/// Installs SMOP into `rt`: the m0ld language and the prelude. Returns
/// the state.
pub fn install(rt: &mut Interp) -> Rc<SmopState> {
    if rt.language(crate::lang::M0ldLanguage.name()).is_none() {
        rt.register_language(Rc::new(crate::lang::M0ldLanguage));
    }
    state(rt.cx())
}

/// The SMOP state of the loop, made on first use: the prelude (a loop
/// that runs m0ld without [`install`] has no `m0ld` language to look up,
/// but its code runs).
pub fn state(rt: &mut Cx) -> Rc<SmopState> {
    if let Some(s) = rt.ext::<SmopState>() {
        return s;
    }
    let prelude = ScopeObj::new_rc(Value::Nil);
    prelude.bind("$OUT", Value::obj(out::OutObj));
    for (name, kind) in [
        ("Scalar", ClassKind::Scalar),
        ("Array", ClassKind::Array),
        ("Hash", ClassKind::Hash),
        ("LexicalScope", ClassKind::LexicalScope),
        ("Code", ClassKind::Code),
    ] {
        prelude.bind(name, Value::obj(Class(kind)));
    }
    prelude.bind("True", Value::Bool(true));
    prelude.bind("False", Value::Bool(false));
    let state = Rc::new(SmopState { prelude });
    rt.set_ext(state.clone());
    state
}

/// A top-level frame for `mold`: `$interpreter` and the prelude scope
/// preloaded (installing SMOP if needed).
pub fn top_frame(rt: &mut Cx, mold: Rc<crate::mold::Mold>) -> crate::frame::MoldFrame {
    let scope = Value::Obj(state(rt).prelude.clone());
    crate::frame::MoldFrame::new(mold, &[rt.interp_value(), scope])
}

/// Binds `name` in the prelude of `rt` (installing SMOP if needed), e.g.
/// the `Lua` bridge object.
pub fn bind(rt: &mut Cx, name: &str, v: Value) {
    state(rt).prelude.bind(name, v);
}

/// The value bound to `name` in the prelude, fetched from its container.
pub fn lookup(rt: &mut Cx, name: &[u8]) -> Option<Value> {
    state(rt)
        .prelude
        .find(name)
        .map(|c| c.value.borrow().clone())
}

#[derive(Clone, Copy, Debug)]
enum ClassKind {
    Scalar,
    Array,
    Hash,
    LexicalScope,
    Code,
}

/// A prototype object: answers `new`.
struct Class(ClassKind);

impl Object for Class {
    fn type_name(&self) -> &'static str {
        match self.0 {
            ClassKind::Scalar => "Scalar",
            ClassKind::Array => "Array",
            ClassKind::Hash => "Hash",
            ClassKind::LexicalScope => "LexicalScope",
            ClassKind::Code => "Code",
        }
    }

    fn send(&self, _rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        match method {
            m if m == names::NEW.get() => ok(match self.0 {
                ClassKind::Scalar => Value::Obj(ScalarObj::new_rc(cap.pos_or_nil(0))),
                ClassKind::Array => Value::obj(ArrayObj {
                    items: std::cell::RefCell::new(cap.positional.to_vec()),
                }),
                ClassKind::Hash => Value::obj(HashObj::default()),
                ClassKind::LexicalScope => {
                    let outer = cap.named(names::OUTER.get()).cloned().unwrap_or_default();
                    Value::Obj(ScopeObj::new_rc(outer))
                }
                ClassKind::Code => CodeObj::from_capture(cap)?,
            }),
            Ident::FETCH => reply_self(cap),
            Ident::STR => ok(Value::str(self.type_name())),
            _ => Err(ScriptError::unknown_method(self.type_name(), method)),
        }
    }
}

/// The responder every scalar container shares: `FETCH` reads through
/// `fetch`, `STORE(v)` writes through `store` and answers `v`; anything
/// else is an unknown method of `type_name`.
fn container_send(
    type_name: &'static str,
    method: Ident,
    cap: Capture<'_>,
    fetch: impl FnOnce() -> Value,
    store: impl FnOnce(Value),
) -> Result<Reply, ScriptError> {
    match method {
        Ident::FETCH => ok(fetch()),
        m if m == names::STORE.get() => {
            let v = cap.pos(0)?.clone();
            store(v.clone());
            ok(v)
        }
        _ => Err(ScriptError::unknown_method(type_name, method)),
    }
}

#[inline]
fn ok(v: Value) -> Result<Reply, ScriptError> {
    Ok(Reply::Value(v))
}

#[inline]
fn reply_self(cap: Capture<'_>) -> Result<Reply, ScriptError> {
    Ok(Reply::Value(cap.invocant.clone()))
}

/// The name m0ld programs know `v`'s type by (`Undef`, `Bool`, `Int`,
/// `Num`, `Str`, or an object's own), for error messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "Undef",
        Value::Bool(_) => "Bool",
        Value::Int(_) => "Int",
        Value::Float(_) => "Num",
        Value::Str(_) => "Str",
        Value::Obj(o) => o.type_name(),
    }
}

/// The invocant as an `Rc` of its concrete type.
fn downcast_rc<T: Object>(v: &Value) -> Result<Rc<T>, ScriptError> {
    let o = v.as_obj().ok_or_else(|| {
        ScriptError::wrong_type("the invocant", std::any::type_name::<T>(), type_name(v))
    })?;
    let any: Rc<dyn Any> = o.clone();
    any.downcast::<T>().map_err(|_| {
        ScriptError::wrong_type("the invocant", std::any::type_name::<T>(), type_name(v))
    })
}
