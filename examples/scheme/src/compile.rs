//! The compiler: special forms into [`Node`] trees, with variables
//! resolved to frame addresses or global cells, and syntax errors (`(if)`,
//! `(lambda 5 x)`, `(define)`, ...) reported as compile errors at the
//! form's `file:line:col`.
//!
//! Special forms: `quote`, `quasiquote` (one level), `if`, `define`,
//! `set!`, `lambda`, `let` (and named `let`), `let*`, `letrec`,
//! `letrec*`, `begin`, `cond` (with `else` and `=>`), `case`, `and`,
//! `or`, `when`, `unless`. A keyword bound as a local variable is an
//! ordinary variable in that scope. Internal defines, anywhere among a
//! body's forms, bind in the body's frame with `letrec*` semantics.

use std::rc::Rc;

use polyeval_core::{Ident, ScriptError, Value};

use crate::ast::{CodeRef, LambdaCode, Node, NodeKind, NodeRef, Site, SiteInfo};
use crate::env::Globals;
use crate::read::{compile_error, Datum, DatumKind};
use crate::values::{cons, symbol};

mod forms;

const KEYWORDS: &[&str] = &[
    "quote",
    "quasiquote",
    "unquote",
    "unquote-splicing",
    "if",
    "define",
    "set!",
    "lambda",
    "let",
    "let*",
    "letrec",
    "letrec*",
    "begin",
    "cond",
    "case",
    "and",
    "or",
    "when",
    "unless",
];

struct Var {
    name: Ident,
    index: u32,
    checked: bool,
    /// The slot holds a procedure's code (see [`NodeKind::Known`]).
    known: bool,
}

/// The variables of one environment frame being compiled.
#[derive(Default)]
struct Scope {
    vars: Vec<Var>,
    nslots: u32,
}

impl Scope {
    fn add(&mut self, name: Ident, checked: bool) -> u32 {
        self.add_var(name, checked, false)
    }

    fn add_var(&mut self, name: Ident, checked: bool, known: bool) -> u32 {
        let index = self.nslots;
        self.nslots += 1;
        self.vars.push(Var {
            name,
            index,
            checked,
            known,
        });
        index
    }
}

/// Compiles data into nodes for one file.
pub(crate) struct Compiler<'a> {
    file: Rc<str>,
    globals: &'a Globals,
    scopes: Vec<Scope>,
    /// The procedure whose body is being compiled.
    proc: Option<Rc<str>>,
}

type CResult<T> = Result<T, ScriptError>;

/// Compiles the top-level forms of a program.
///
/// # Errors
///
/// The first syntax error, as a compile error with its position.
pub(crate) fn compile_program(
    data: &[Datum],
    file: &Rc<str>,
    globals: &Globals,
) -> CResult<Vec<NodeRef>> {
    let mut c = Compiler {
        file: file.clone(),
        globals,
        scopes: Vec::new(),
        proc: None,
    };
    data.iter().map(|d| c.toplevel(d)).collect()
}

fn node(kind: NodeKind, site: Site) -> NodeRef {
    Rc::new(Node { kind, site })
}

impl Compiler<'_> {
    fn site(&self, d: &Datum) -> Site {
        Rc::new(SiteInfo {
            file: self.file.clone(),
            line: d.line,
            col: d.col,
            proc: self.proc.clone(),
        })
    }

    #[cold]
    fn err(&self, d: &Datum, msg: impl AsRef<str>) -> ScriptError {
        compile_error(&self.file, d.line, d.col, msg.as_ref())
    }

    fn lookup(&self, name: Ident) -> Option<(u32, &Var)> {
        self.scopes.iter().rev().enumerate().find_map(|(depth, s)| {
            s.vars
                .iter()
                .rev()
                .find(|v| v.name == name)
                .map(|v| (depth as u32, v))
        })
    }

    /// The keyword a form starts with, unless a local shadows it.
    fn keyword(&self, d: &Datum) -> Option<&'static str> {
        let head = d.list()?.first()?.symbol()?;
        let kw = KEYWORDS.iter().find(|k| head.name() == **k)?;
        self.lookup(head).is_none().then_some(*kw)
    }

    fn toplevel(&mut self, d: &Datum) -> CResult<NodeRef> {
        match self.keyword(d) {
            Some("define") => {
                let (name, value) = self.define_parts(d)?;
                let cell = self.globals.cell(name);
                let site = self.site(d);
                Ok(node(
                    NodeKind::SetGlobal {
                        cell,
                        value,
                        define: true,
                    },
                    site,
                ))
            }
            Some("begin") => {
                let forms = &d.list().unwrap_or_default()[1..];
                if forms.is_empty() {
                    return Ok(node(NodeKind::Const(Value::Nil), self.site(d)));
                }
                let nodes: Vec<NodeRef> = forms
                    .iter()
                    .map(|f| self.toplevel(f))
                    .collect::<CResult<_>>()?;
                Ok(self.seq(nodes, d))
            }
            _ => self.expr(d),
        }
    }

    fn seq(&self, mut nodes: Vec<NodeRef>, d: &Datum) -> NodeRef {
        if nodes.len() == 1 {
            return nodes
                .pop()
                .unwrap_or_else(|| node(NodeKind::Const(Value::Nil), self.site(d)));
        }
        node(NodeKind::Seq(nodes.into()), self.site(d))
    }

    /// The name and compiled value of a `define` form.
    fn define_parts(&mut self, d: &Datum) -> CResult<(Ident, NodeRef)> {
        const SHAPE: &str =
            "bad define: expected (define name value) or (define (name param ...) body ...)";
        let items = d.list().ok_or_else(|| self.err(d, SHAPE))?;
        let Some(target) = items.get(1) else {
            return Err(self.err(d, SHAPE));
        };
        if let Some(name) = target.symbol() {
            self.check_definable(target, name)?;
            if items.len() != 3 {
                return Err(self.err(d, SHAPE));
            }
            let value = self.expr_named(&items[2], Some(name))?;
            return Ok((name, value));
        }
        match &target.kind {
            DatumKind::List(sig, tail) if !sig.is_empty() => {
                let Some(name) = sig[0].symbol() else {
                    return Err(
                        self.err(&sig[0], "bad define: the procedure name must be a symbol")
                    );
                };
                self.check_definable(&sig[0], name)?;
                if items.len() < 3 {
                    return Err(self.err(d, format!("bad define: ({name} ...) has no body")));
                }
                let params = Datum {
                    kind: DatumKind::List(sig[1..].to_vec(), tail.clone()),
                    line: target.line,
                    col: target.col,
                };
                let code = self.lambda(&params, &items[2..], Some(name), d)?;
                Ok((name, node(NodeKind::Lambda(code), self.site(d))))
            }
            _ => Err(self.err(d, SHAPE)),
        }
    }

    fn check_definable(&self, d: &Datum, name: Ident) -> CResult<()> {
        if KEYWORDS.contains(&name.name()) && self.lookup(name).is_none() {
            return Err(self.err(d, format!("cannot define or set the keyword {name}")));
        }
        Ok(())
    }

    fn expr_named(&mut self, d: &Datum, name: Option<Ident>) -> CResult<NodeRef> {
        if self.keyword(d) == Some("lambda") {
            let items = d.list().unwrap_or_default();
            if items.len() < 3 {
                return Err(self.err(d, "bad lambda: expected (lambda params body ...)"));
            }
            let code = self.lambda(&items[1], &items[2..], name, d)?;
            return Ok(node(NodeKind::Lambda(code), self.site(d)));
        }
        self.expr(d)
    }

    /// Compiles an expression.
    pub(crate) fn expr(&mut self, d: &Datum) -> CResult<NodeRef> {
        let site = self.site(d);
        let kind = match &d.kind {
            DatumKind::Int(i) => NodeKind::Const(Value::Int(*i)),
            DatumKind::Float(f) => NodeKind::Const(Value::Float(*f)),
            DatumKind::Str(s) => NodeKind::Const(Value::Str(s.clone())),
            DatumKind::Bool(b) => NodeKind::Const(Value::Bool(*b)),
            DatumKind::Symbol(name) => self.variable(d, *name)?,
            DatumKind::List(items, tail) => {
                if items.is_empty() {
                    return Err(self.err(d, "empty application (): quote it for the empty list"));
                }
                if tail.is_some() {
                    return Err(self.err(d, "bad application: an improper list"));
                }
                if let Some(kw) = self.keyword(d) {
                    return self.special(kw, d, items);
                }
                let func = self.expr(&items[0])?;
                let args: Vec<NodeRef> = items[1..]
                    .iter()
                    .map(|a| self.expr(a))
                    .collect::<CResult<_>>()?;
                NodeKind::Call {
                    func,
                    args: args.into(),
                }
            }
        };
        Ok(node(kind, site))
    }

    fn variable(&self, d: &Datum, name: Ident) -> CResult<NodeKind> {
        if let Some((depth, v)) = self.lookup(name) {
            if v.known {
                return Ok(NodeKind::Known {
                    depth,
                    index: v.index,
                    name,
                });
            }
            return Ok(NodeKind::Local {
                depth,
                index: v.index,
                name,
                checked: v.checked,
            });
        }
        if KEYWORDS.contains(&name.name()) {
            return Err(self.err(
                d,
                format!("bad syntax: the keyword {name} is not a variable"),
            ));
        }
        Ok(NodeKind::Global(self.globals.cell(name)))
    }

    fn special(&mut self, kw: &str, d: &Datum, items: &[Datum]) -> CResult<NodeRef> {
        let site = self.site(d);
        let args = &items[1..];
        let kind = match kw {
            "quote" => match args {
                [x] => NodeKind::Const(datum_value(x)),
                _ => return Err(self.err(d, "bad quote: expected (quote datum)")),
            },
            "quasiquote" => match args {
                [x] => return self.quasi(x),
                _ => return Err(self.err(d, "bad quasiquote: expected (quasiquote template)")),
            },
            "unquote" | "unquote-splicing" => {
                return Err(self.err(d, format!("{kw} outside quasiquote")));
            }
            "if" => match args {
                [t, a] | [t, a, _] => NodeKind::If {
                    test: self.expr(t)?,
                    then: self.expr(a)?,
                    els: args.get(2).map(|e| self.expr(e)).transpose()?,
                },
                _ => return Err(self.err(d, "bad if: expected (if test then [else])")),
            },
            "define" => {
                return Err(self.err(
                    d,
                    "define is allowed only at top level or among the forms of a body",
                ))
            }
            "set!" => return self.set(d, args),
            "lambda" => return self.expr_named(d, None),
            "begin" => {
                if args.is_empty() {
                    return Err(self.err(d, "bad begin: expected (begin expr ...)"));
                }
                let nodes = args.iter().map(|a| self.expr(a)).collect::<CResult<_>>()?;
                return Ok(self.seq(nodes, d));
            }
            "let" => return self.let_form(d, args),
            "let*" => return self.let_star(d, args),
            "letrec" | "letrec*" => return self.letrec(d, args),
            "cond" => return self.cond(d, args),
            "case" => return self.case(d, args),
            "and" | "or" => {
                let and = kw == "and";
                let mut parts: Vec<NodeRef> =
                    args.iter().map(|a| self.expr(a)).collect::<CResult<_>>()?;
                match parts.len() {
                    0 => NodeKind::Const(Value::Bool(and)),
                    1 => return Ok(parts.remove(0)),
                    _ => NodeKind::Logic {
                        and,
                        parts: parts.into(),
                    },
                }
            }
            "when" | "unless" => {
                let Some((test, body)) = args.split_first().filter(|(_, b)| !b.is_empty()) else {
                    return Err(self.err(d, format!("bad {kw}: expected ({kw} test body ...)")));
                };
                let test = self.expr(test)?;
                let nodes = body.iter().map(|a| self.expr(a)).collect::<CResult<_>>()?;
                let body = self.seq(nodes, d);
                let nothing = node(NodeKind::Const(Value::Nil), site.clone());
                let (then, els) = if kw == "when" {
                    (body, nothing)
                } else {
                    (nothing, body)
                };
                NodeKind::If {
                    test,
                    then,
                    els: Some(els),
                }
            }
            _ => return Err(self.err(d, format!("unknown special form {kw}"))),
        };
        Ok(node(kind, site))
    }

    fn set(&mut self, d: &Datum, args: &[Datum]) -> CResult<NodeRef> {
        let [target, value] = args else {
            return Err(self.err(d, "bad set!: expected (set! variable value)"));
        };
        let Some(name) = target.symbol() else {
            return Err(self.err(target, "bad set!: the target must be a variable"));
        };
        self.check_definable(target, name)?;
        let value = self.expr(value)?;
        let kind = match self.lookup(name) {
            Some((depth, v)) => NodeKind::SetLocal {
                depth,
                index: v.index,
                value,
            },
            None => NodeKind::SetGlobal {
                cell: self.globals.cell(name),
                value,
                define: false,
            },
        };
        Ok(node(kind, self.site(d)))
    }

    /// The code of `(lambda params body...)`.
    fn lambda(
        &mut self,
        params: &Datum,
        body: &[Datum],
        name: Option<Ident>,
        form: &Datum,
    ) -> CResult<Rc<LambdaCode>> {
        let (names, rest) =
            match &params.kind {
                DatumKind::Symbol(s) => (Vec::new(), Some(*s)),
                DatumKind::List(items, tail) => {
                    let mut names = Vec::with_capacity(items.len());
                    for p in items {
                        names.push(p.symbol().ok_or_else(|| {
                            self.err(p, "bad lambda: a parameter must be a symbol")
                        })?);
                    }
                    let rest = match tail {
                        None => None,
                        Some(t) => Some(t.symbol().ok_or_else(|| {
                            self.err(t, "bad lambda: the rest parameter must be a symbol")
                        })?),
                    };
                    (names, rest)
                }
                _ => {
                    return Err(self.err(
                        params,
                        "bad lambda: the parameters must be a symbol or a list of symbols",
                    ))
                }
            };
        let mut scope = Scope::default();
        for n in names.iter().chain(rest.iter()) {
            if scope.vars.iter().any(|v| v.name == *n) {
                return Err(self.err(params, format!("bad lambda: duplicate parameter {n}")));
            }
            scope.add(*n, false);
        }
        let proc_name: Option<Rc<str>> = name.map(|n| Rc::from(n.name()));
        let outer_proc = std::mem::replace(&mut self.proc, proc_name.clone());
        let site = self.site(form);
        self.scopes.push(scope);
        let body = self.body(body, form);
        let scope = self.scopes.pop().unwrap_or_default();
        self.proc = outer_proc;
        Ok(Rc::new(LambdaCode {
            name: proc_name,
            nreq: names.len() as u32,
            rest: rest.is_some(),
            nlocals: scope.nslots,
            body: body?,
            site,
        }))
    }

    /// A body, in the innermost scope: its defines (also inside `begin`s)
    /// bind there first, then every form compiles in order.
    fn body(&mut self, forms: &[Datum], form: &Datum) -> CResult<NodeRef> {
        let mut flat: Vec<&Datum> = Vec::new();
        let mut todo: Vec<&Datum> = forms.iter().rev().collect();
        while let Some(f) = todo.pop() {
            if self.keyword(f) == Some("begin") {
                todo.extend(f.list().unwrap_or_default()[1..].iter().rev());
            } else {
                flat.push(f);
            }
        }
        if flat.is_empty() {
            return Err(self.err(form, "empty body"));
        }
        let mut defines = Vec::new();
        for f in &flat {
            if self.keyword(f) == Some("define") {
                let items = f.list().unwrap_or_default();
                let name = match items.get(1).map(|t| &t.kind) {
                    Some(DatumKind::Symbol(s)) => Some((*s, false)),
                    Some(DatumKind::List(sig, _)) => sig
                        .first()
                        .and_then(Datum::symbol)
                        .map(|s| (s, !escapes(s, &flat))),
                    _ => None,
                };
                defines.push(name);
            } else {
                defines.push(None);
            }
        }
        for (name, known) in defines.iter().flatten() {
            if let Some(scope) = self.scopes.last_mut() {
                scope.add_var(*name, true, *known);
            }
        }
        let mut nodes = Vec::with_capacity(flat.len());
        for (f, def) in flat.iter().zip(&defines) {
            if def.is_some() || self.keyword(f) == Some("define") {
                let (name, value) = self.define_parts(f)?;
                let Some((depth, v)) = self.lookup(name) else {
                    return Err(self.err(f, "internal error: an internal define lost its slot"));
                };
                let value = match (&value.kind, v.known) {
                    (NodeKind::Lambda(code), true) => code_node(code, &value.site),
                    _ => value,
                };
                let kind = NodeKind::SetLocal {
                    depth,
                    index: v.index,
                    value,
                };
                nodes.push(node(kind, self.site(f)));
            } else {
                nodes.push(self.expr(f)?);
            }
        }
        Ok(self.seq(nodes, form))
    }
}

/// The constant holding `code` for a known procedure's slot.
fn code_node(code: &Rc<LambdaCode>, site: &Site) -> NodeRef {
    let value = Value::obj(CodeRef(code.clone()));
    node(NodeKind::Const(value), site.clone())
}

/// Whether `name` may be used other than as the operator of a call among
/// `forms`, shadowing aside (a conservative answer): then its procedure
/// must be one value, for `eq?`.
fn escapes(name: Ident, forms: &[&Datum]) -> bool {
    let mut todo: Vec<&Datum> = forms.to_vec();
    while let Some(d) = todo.pop() {
        match &d.kind {
            DatumKind::Symbol(s) if *s == name => return true,
            DatumKind::List(items, tail) => {
                let skip = usize::from(items.first().and_then(Datum::symbol) == Some(name));
                todo.extend(items[skip..].iter());
                todo.extend(tail.as_deref());
            }
            _ => {}
        }
    }
    false
}

/// The value of a quoted datum.
pub(crate) fn datum_value(d: &Datum) -> Value {
    match &d.kind {
        DatumKind::Int(i) => Value::Int(*i),
        DatumKind::Float(f) => Value::Float(*f),
        DatumKind::Str(s) => Value::Str(s.clone()),
        DatumKind::Bool(b) => Value::Bool(*b),
        DatumKind::Symbol(s) => symbol(*s),
        DatumKind::List(items, tail) => {
            let end = tail.as_deref().map_or(Value::Nil, datum_value);
            items
                .iter()
                .rev()
                .fold(end, |acc, x| cons(datum_value(x), acc))
        }
    }
}
