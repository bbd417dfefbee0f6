//! Scheme as a registered [`Language`]: `check` reads and compiles,
//! `load` compiles into a program object whose `CALL` runs the top-level
//! forms, in order, in the run loop's global environment, and answers the
//! last form's value. `eval` is the trait's default (load, then call);
//! `repl` is [`crate::repl`]'s.

use std::rc::Rc;

use polyeval_core::{
    answer_plain, Capture, Continuation, Cx, Ident, Language, LineReader, Object, Reply,
    ScriptError, Value,
};

use crate::ast::{NodeKind, NodeRef, Site, SiteInfo};
use crate::compile::compile_program;
use crate::cont::SchemeCont;
use crate::env::Globals;
use crate::read::read_all;
use crate::values::Procedure;

/// The Scheme language, as the registry sees it.
#[derive(Debug, Default, Clone, Copy)]
pub struct Scheme;

/// Reads and compiles `src` against `globals`.
fn compile(src: &[u8], file: &str, globals: &Globals) -> Result<Rc<[NodeRef]>, ScriptError> {
    let data = read_all(src, file)?;
    let file: Rc<str> = Rc::from(file);
    Ok(compile_program(&data, &file, globals)?.into())
}

impl Language for Scheme {
    fn name(&self) -> &'static str {
        "scheme"
    }

    fn type_name(&self, v: &Value) -> &'static str {
        match v {
            Value::Nil => "the empty list",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Obj(o) => o.type_name(),
        }
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["scm"]
    }

    fn check(&self, _rt: &mut Cx, src: &[u8], file: &str) -> Result<(), ScriptError> {
        // A scratch environment: checking binds nothing.
        compile(src, file, &Globals::default()).map(|_| ())
    }

    fn load(&self, rt: &mut Cx, src: &[u8], file: &str) -> Result<Value, ScriptError> {
        let globals = Globals::of(rt);
        let forms = compile(src, file, &globals)?;
        Ok(Value::obj(Program { forms }))
    }

    fn define_global(&self, rt: &mut Cx, name: &str, value: Value) -> Result<(), ScriptError> {
        crate::define(rt, name, value);
        Ok(())
    }

    fn repl(
        &self,
        _rt: &mut Cx,
        read: LineReader,
    ) -> Result<Option<Box<dyn Continuation>>, ScriptError> {
        Ok(Some(Box::new(crate::repl::Repl::new(read))))
    }
}

/// A loaded program: calling it runs its top-level forms (its arguments
/// are ignored) and answers the last one's value.
pub struct Program {
    forms: Rc<[NodeRef]>,
}

impl Object for Program {
    fn type_name(&self) -> &'static str {
        "SchemeProgram"
    }

    fn send(&self, _rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        if method == Ident::CALL {
            Ok(Reply::Call(Box::new(SchemeCont::program(
                self.forms.clone(),
            ))))
        } else {
            answer_plain("SchemeProgram", method, cap)
        }
    }
}

/// Binds the prelude's procedures (each top-level form of
/// `prelude.scm` defines one) in `g`.
pub(crate) fn load_prelude(g: &Globals) {
    let forms = match compile(include_bytes!("prelude.scm"), "<prelude>", g) {
        Ok(forms) => forms,
        Err(e) => {
            debug_assert!(false, "the prelude does not compile: {e}");
            return;
        }
    };
    for f in forms.iter() {
        if let NodeKind::SetGlobal { cell, value, .. } = &f.kind {
            if let NodeKind::Lambda(code) = &value.kind {
                let proc = Value::obj(Procedure {
                    code: code.clone(),
                    env: None,
                });
                *cell.value.borrow_mut() = Some(proc);
            }
        }
    }
}

/// The site of a builtin running without a call site of its own.
pub(crate) fn native_site(name: &str) -> Site {
    Rc::new(SiteInfo {
        file: Rc::from("<builtin>"),
        line: 0,
        col: 0,
        proc: Some(Rc::from(name)),
    })
}
