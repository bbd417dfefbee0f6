//! `Code` objects (a Mold closed over an outer scope) and the `$capture`
//! object a Code body receives.

use std::rc::Rc;

use crate::names;
use polyeval_core::{
    answer_plain, drop_values, is_last_ref, Capture, Cx, Ident, Object, OwnedCapture, Reply,
    ScriptError, Value,
};

use super::scope::ScopeObj;
use super::{ok, reply_self};
use crate::frame::MoldFrame;
use crate::mold::{Mold, MoldObject};

/// A callable block of m0ld.
pub struct CodeObj {
    /// The body.
    pub mold: Rc<Mold>,
    /// The scope the body's own scope hangs from.
    pub outer: Value,
    /// `outer` as a scope (`None` when it is undef).
    pub outer_scope: Option<Rc<ScopeObj>>,
}

impl CodeObj {
    /// Builds a Code from `new`'s named arguments `outer` and `mold`.
    ///
    /// # Errors
    ///
    /// A wrong-type error when `mold` is missing or not a Mold.
    pub fn from_capture(cap: Capture<'_>) -> Result<Value, ScriptError> {
        let mold = cap
            .named(names::MOLD.get())
            .or_else(|| cap.positional.first())
            .ok_or_else(|| ScriptError::wrong_type("Code.new's :mold", "a Mold", "nothing"))?;
        let mold = mold
            .downcast::<MoldObject>()
            .ok_or_else(|| {
                ScriptError::wrong_type("Code.new's :mold", "a Mold", super::type_name(mold))
            })?
            .0
            .clone();
        let outer = cap.named(names::OUTER.get()).cloned().unwrap_or_default();
        let outer_scope = match &outer {
            Value::Nil => None,
            Value::Obj(o) => {
                let any: Rc<dyn std::any::Any> = o.clone();
                any.downcast::<ScopeObj>().ok()
            }
            _ => None,
        };
        if outer.is_defined() && outer_scope.is_none() {
            return Err(ScriptError::wrong_type(
                "Code.new's :outer",
                "a LexicalScope",
                super::type_name(&outer),
            ));
        }
        Ok(Value::obj(CodeObj {
            mold,
            outer,
            outer_scope,
        }))
    }
}

impl Drop for CodeObj {
    fn drop(&mut self) {
        if is_last_ref(&self.outer) {
            drop_values([std::mem::take(&mut self.outer)]);
        }
    }
}

impl Object for CodeObj {
    fn type_name(&self) -> &'static str {
        "Code"
    }

    fn send(&self, rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        match method {
            Ident::CALL => {
                let frame = MoldFrame::for_code(rt, self, cap)?;
                Ok(Reply::Call(Box::new(frame)))
            }
            Ident::STR => ok(Value::str(format!("Code({})", self.mold.name))),
            _ => answer_plain("Code", method, cap),
        }
    }
}

/// About what one call of `mold` keeps while it runs or waits: its
/// registers, its scope and capture, and its place in the run loop.
pub(crate) fn frame_bytes(mold: &Mold) -> usize {
    (mold.nfree as usize + mold.consts.len()) * std::mem::size_of::<Value>() + 512
}

/// The arguments of a Code call, as `$capture` sees them.
pub struct CaptureObj {
    /// The capture.
    pub cap: OwnedCapture,
}

impl Drop for CaptureObj {
    fn drop(&mut self) {
        let c = &self.cap;
        if !(c.positional.iter().any(is_last_ref)
            || c.named.iter().any(|(_, v)| is_last_ref(v))
            || is_last_ref(&c.invocant))
        {
            return;
        }
        let cap = std::mem::take(&mut self.cap);
        drop_values(
            cap.positional
                .into_iter()
                .chain(cap.named.into_iter().map(|(_, v)| v))
                .chain([cap.invocant]),
        );
    }
}

impl Object for CaptureObj {
    fn type_name(&self) -> &'static str {
        "Capture"
    }

    fn send(&self, _rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        match method {
            m if m == names::POSITIONAL.get() => {
                let i = match cap.pos(0)? {
                    Value::Int(i) if *i >= 0 => *i as usize,
                    Value::Int(i) => {
                        return Err(ScriptError::runtime(format!(
                            "positional index {i} is negative"
                        )));
                    }
                    other => {
                        return Err(ScriptError::wrong_type(
                            "a positional index",
                            "Int",
                            super::type_name(other),
                        ))
                    }
                };
                self.cap.view().pos(i).cloned().map(Reply::Value)
            }
            m if m == names::NAMED.get() => {
                let name = cap.pos(0)?;
                let name = name.as_bytes().map(Ident::from_bytes).ok_or_else(|| {
                    ScriptError::wrong_type(
                        "a named argument's name",
                        "Str",
                        super::type_name(name),
                    )
                })?;
                ok(self.cap.view().named(name).cloned().unwrap_or_default())
            }
            Ident::ELEMS => ok(Value::Int(self.cap.positional.len() as i64)),
            Ident::FETCH => reply_self(cap),
            m if m == names::INVOCANT.get() => ok(self.cap.invocant.clone()),
            _ => Err(ScriptError::unknown_method("Capture", method)),
        }
    }
}
