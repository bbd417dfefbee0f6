//! Application: closures, builtins, continuations and foreign callables,
//! and leaving Scheme through a bottom frame.

use std::rc::Rc;

use polyeval_core::{Capture, ContKey, Cx, ErrorKind, Ident, Reply, ScriptError, Step, Value};

use super::{locate, Ctl, Go, Machine, Resumed};
use crate::cont::Activation;
use crate::env::{unassigned, EnvFrame};
use crate::frames::Frame;
use crate::print::shown;
use crate::values::{arity_error, list_of, ContinuationObject, Pair, PrimOp, Primitive, Procedure};

impl Machine {
    /// Control reached the bottom of a frame list: leave Scheme.
    pub(super) fn leave(
        &mut self,
        rt: &mut Cx,
        a: Rc<Activation>,
        v: Value,
        act: &Rc<Activation>,
        me: Option<ContKey>,
    ) -> Go {
        if Rc::ptr_eq(&a, act) {
            act.mark_returned();
            return Ok(Some(Step::Done(v)));
        }
        match a.escape_to(rt, me, None, v) {
            Ok(target) => Ok(Some(Step::Goto(target))),
            Err(msg) => {
                // The error belongs to the call that resumed the
                // continuation: it is raised there, with its frames.
                if let Some(r) = self.resumed.take() {
                    self.site = r.site;
                    self.k = r.frames;
                    self.owner = r.owner;
                }
                Err(locate(ScriptError::runtime(msg), self.site.as_ref()))
            }
        }
    }

    pub(super) fn apply(
        &mut self,
        rt: &mut Cx,
        f: Value,
        mut args: Vec<Value>,
        act: &Rc<Activation>,
        me: Option<ContKey>,
    ) -> Go {
        if let Some(p) = f.downcast::<Procedure>() {
            let code = &p.code;
            let (n, nreq) = (args.len(), code.nreq as usize);
            if n < nreq || (!code.rest && n > nreq) {
                let max = (!code.rest).then_some(nreq);
                let site = self.site.clone().unwrap_or_else(|| code.site.clone());
                return Err(locate(
                    arity_error(code.shown_name(), nreq, max, n),
                    Some(&site),
                ));
            }
            if code.rest {
                let tail = list_of(args.drain(nreq..));
                args.push(tail);
            }
            args.resize(code.nlocals as usize, unassigned());
            self.env = Some(EnvFrame::new(args, p.env.clone()));
            self.ctl = Ctl::Eval(code.body.clone());
            if rt.quantum() == u32::MAX {
                // An unbounded step would never end: every call ends one.
                return Ok(Some(Step::Continue));
            }
            return Ok(None);
        }
        if let Some(p) = f.downcast::<Primitive>() {
            p.check_arity(args.len())
                .map_err(|e| locate(e, self.site.as_ref()))?;
            return self.primitive(rt, p, args);
        }
        if let Some(c) = f.downcast::<ContinuationObject>() {
            let v = match args.len() {
                0 => Value::Nil,
                1 => args.pop().unwrap_or_default(),
                n => {
                    return Err(locate(
                        arity_error("continuation", 0, Some(1), n),
                        self.site.as_ref(),
                    ))
                }
            };
            let foreign = !Rc::ptr_eq(&c.owner, act);
            if foreign {
                // A finished activation's frames are refused before any
                // of them runs again.
                c.owner
                    .refuse_if_finished(rt)
                    .map_err(|msg| locate(ScriptError::runtime(msg), self.site.as_ref()))?;
                if c.owner.waits_below(rt, me) {
                    // Its activation waits further down: it takes the
                    // frames over, and the frames between (other
                    // interpreters') go.
                    return match c.owner.escape_to(rt, me, Some(c.frames.clone()), v) {
                        Ok(target) => Ok(Some(Step::Goto(target))),
                        Err(msg) => Err(locate(ScriptError::runtime(msg), self.site.as_ref())),
                    };
                }
            }
            let frames = std::mem::replace(&mut self.k, c.frames.clone());
            let owner = std::mem::replace(&mut self.owner, c.owner.clone());
            self.resumed = foreign.then(|| Resumed {
                site: self.site.clone(),
                frames,
                owner,
            });
            self.ctl = Ctl::Return(v);
            return Ok(None);
        }
        if f.as_obj().is_some() {
            let r = rt.send(Ident::CALL, Capture::new(&f, &args));
            return self.reply(r);
        }
        let msg = format!("not a procedure: {}", shown(&f));
        Err(locate(
            ScriptError::new(ErrorKind::WrongType, msg),
            self.site.as_ref(),
        ))
    }

    fn primitive(&mut self, rt: &mut Cx, p: &Primitive, mut args: Vec<Value>) -> Go {
        let here = self.site.clone();
        let located = |e| locate(e, here.as_ref());
        match p.op {
            PrimOp::Simple(f) => {
                self.ctl = Ctl::Return(f(rt, &args).map_err(located)?);
                Ok(None)
            }
            PrimOp::Apply => {
                let list = args.pop().unwrap_or_default();
                let mut rest = args.split_off(1);
                let mut cur = list;
                loop {
                    if let Some(pair) = cur.downcast::<Pair>() {
                        rest.push(pair.car.clone());
                        let next = pair.cdr.clone();
                        cur = next;
                    } else if matches!(cur, Value::Nil) {
                        break;
                    } else {
                        let e = ScriptError::wrong_type(
                            "apply's last argument",
                            "a list",
                            &shown(&cur),
                        );
                        return Err(located(e));
                    }
                }
                let f = args.pop().unwrap_or_default();
                self.ctl = Ctl::Apply(f, rest);
                Ok(None)
            }
            PrimOp::CallCc => {
                let k = Value::obj(ContinuationObject {
                    frames: self.k.clone(),
                    owner: self.owner.clone(),
                });
                let f = args.pop().unwrap_or_default();
                self.ctl = Ctl::Apply(f, vec![k]);
                Ok(None)
            }
            PrimOp::Catch => {
                let handler = args.pop().unwrap_or_default();
                let thunk = args.pop().unwrap_or_default();
                let site = here
                    .clone()
                    .unwrap_or_else(|| crate::lang::native_site("catch"));
                self.k.push(Frame::Catch { handler, site });
                self.ctl = Ctl::Apply(thunk, Vec::new());
                Ok(None)
            }
            PrimOp::Send => {
                let method = match &args[1] {
                    Value::Str(s) => Ident::from_bytes(s),
                    v => match crate::values::symbol_name(v) {
                        Some(s) => s,
                        None => {
                            let e = ScriptError::wrong_type(
                                "send's method",
                                "a string or symbol",
                                &shown(v),
                            );
                            return Err(located(e));
                        }
                    },
                };
                let r = rt.send(method, Capture::new(&args[0], &args[2..]));
                self.reply(r)
            }
            PrimOp::EvalIn => {
                let (Some(name), Some(src)) = (args[0].as_bytes(), args[1].as_bytes()) else {
                    let e = ScriptError::wrong_type(
                        "eval-in's language and source",
                        "strings",
                        "something else",
                    );
                    return Err(located(e));
                };
                let name = String::from_utf8_lossy(name).into_owned();
                let lang =
                    polyeval_core::LanguageObject::lookup(rt, name.as_bytes()).map_err(located)?;
                let mut cap_args = vec![Value::Str(src.into()), Value::str("<eval-in>")];
                cap_args.extend(args.drain(2..));
                let r = rt.send(Ident::EVAL, Capture::new(&lang, &cap_args));
                self.reply(r)
            }
        }
    }

    /// Acts on the reply of a call into another interpreter.
    fn reply(&mut self, r: Result<Reply, ScriptError>) -> Go {
        match r {
            Ok(Reply::Value(v)) => {
                self.ctl = Ctl::Return(v);
                Ok(None)
            }
            // A callee, a `goto` or a hand-off already made: the answer, if
            // one comes, arrives by `setr`.
            Ok(r) => {
                self.waiting = true;
                Ok(r.into_step().err())
            }
            Err(e) => Err(locate(e, self.site.as_ref())),
        }
    }
}
