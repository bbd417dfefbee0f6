//! The binding forms (`let`, named `let`, `let*`, `letrec`), the
//! conditionals `cond` and `case`, and `quasiquote`.

use polyeval_core::Ident;

use super::{code_node, datum_value, escapes, node, CResult, Compiler, Scope};
use crate::ast::{CaseClause, Clause, NodeKind, NodeRef};
use crate::read::{Datum, DatumKind};

impl Compiler<'_> {
    /// The `(name init)` pairs of a binding list.
    fn bindings<'d>(&self, list: &'d Datum, form: &str) -> CResult<Vec<(Ident, &'d Datum)>> {
        let items = list.list().ok_or_else(|| {
            self.err(
                list,
                format!("bad {form}: expected a list of (name value) bindings"),
            )
        })?;
        items
            .iter()
            .map(|b| match b.list() {
                Some([n, v]) => n.symbol().map(|s| (s, v)).ok_or_else(|| {
                    self.err(n, format!("bad {form}: a bound name must be a symbol"))
                }),
                _ => Err(self.err(b, format!("bad {form}: a binding must be (name value)"))),
            })
            .collect()
    }

    /// A `Let` node whose frame is compiled by `inner` in a fresh scope.
    fn frame(
        &mut self,
        d: &Datum,
        inits: Vec<NodeRef>,
        scope: Scope,
        inner: impl FnOnce(&mut Self) -> CResult<NodeRef>,
    ) -> CResult<NodeRef> {
        self.scopes.push(scope);
        let body = inner(self);
        let scope = self.scopes.pop().unwrap_or_default();
        let kind = NodeKind::Let {
            inits: inits.into(),
            nlocals: scope.nslots,
            body: body?,
        };
        Ok(node(kind, self.site(d)))
    }

    pub(super) fn let_form(&mut self, d: &Datum, args: &[Datum]) -> CResult<NodeRef> {
        const SHAPE: &str = "bad let: expected (let ((name value) ...) body ...)";
        if let Some(name) = args.first().and_then(Datum::symbol) {
            return self.named_let(d, name, &args[1..]);
        }
        let [list, body @ ..] = args else {
            return Err(self.err(d, SHAPE));
        };
        if body.is_empty() {
            return Err(self.err(d, SHAPE));
        }
        let binds = self.bindings(list, "let")?;
        let inits = binds
            .iter()
            .map(|(n, v)| self.expr_named(v, Some(*n)))
            .collect::<CResult<Vec<_>>>()?;
        let mut scope = Scope::default();
        for (n, _) in &binds {
            scope.add(*n, false);
        }
        self.frame(d, inits, scope, |c| c.body(body, d))
    }

    /// `(let name ((v init) ...) body ...)`: a procedure `name` bound in a
    /// frame of its own, called with the inits.
    pub(super) fn named_let(&mut self, d: &Datum, name: Ident, args: &[Datum]) -> CResult<NodeRef> {
        let [list, body @ ..] = args else {
            return Err(self.err(
                d,
                "bad named let: expected (let name ((var init) ...) body ...)",
            ));
        };
        if body.is_empty() {
            return Err(self.err(d, "bad named let: empty body"));
        }
        let binds = self.bindings(list, "named let")?;
        let inits = binds
            .iter()
            .map(|(_, v)| self.expr(v))
            .collect::<CResult<Vec<_>>>()?;
        let params = Datum {
            kind: DatumKind::List(
                binds
                    .iter()
                    .map(|(n, v)| Datum {
                        kind: DatumKind::Symbol(*n),
                        line: v.line,
                        col: v.col,
                    })
                    .collect(),
                None,
            ),
            line: list.line,
            col: list.col,
        };
        let known = !escapes(name, &body.iter().collect::<Vec<_>>());
        let mut scope = Scope::default();
        scope.add_var(name, false, known);
        let site = self.site(d);
        let func = self.frame(d, Vec::new(), scope, |c| {
            let code = c.lambda(&params, body, Some(name), d)?;
            let value = if known {
                code_node(&code, &site)
            } else {
                node(NodeKind::Lambda(code), site.clone())
            };
            let set = NodeKind::SetLocal {
                depth: 0,
                index: 0,
                value,
            };
            let get = if known {
                NodeKind::Known {
                    depth: 0,
                    index: 0,
                    name,
                }
            } else {
                NodeKind::Local {
                    depth: 0,
                    index: 0,
                    name,
                    checked: false,
                }
            };
            Ok(node(
                NodeKind::Seq(vec![node(set, site.clone()), node(get, site.clone())].into()),
                site.clone(),
            ))
        })?;
        Ok(node(
            NodeKind::Call {
                func,
                args: inits.into(),
            },
            site,
        ))
    }

    pub(super) fn let_star(&mut self, d: &Datum, args: &[Datum]) -> CResult<NodeRef> {
        let [list, body @ ..] = args else {
            return Err(self.err(d, "bad let*: expected (let* ((name value) ...) body ...)"));
        };
        if body.is_empty() {
            return Err(self.err(d, "bad let*: empty body"));
        }
        let binds = self.bindings(list, "let*")?;
        self.frame(d, Vec::new(), Scope::default(), |c| {
            let mut nodes = Vec::with_capacity(binds.len() + 1);
            for (n, v) in &binds {
                let value = c.expr_named(v, Some(*n))?;
                let index = c.scopes.last_mut().map_or(0, |s| s.add(*n, false));
                let kind = NodeKind::SetLocal {
                    depth: 0,
                    index,
                    value,
                };
                nodes.push(node(kind, c.site(v)));
            }
            nodes.push(c.body(body, d)?);
            Ok(c.seq(nodes, d))
        })
    }

    pub(super) fn letrec(&mut self, d: &Datum, args: &[Datum]) -> CResult<NodeRef> {
        let [list, body @ ..] = args else {
            return Err(self.err(
                d,
                "bad letrec: expected (letrec ((name value) ...) body ...)",
            ));
        };
        if body.is_empty() {
            return Err(self.err(d, "bad letrec: empty body"));
        }
        let binds = self.bindings(list, "letrec")?;
        let mut scope = Scope::default();
        for (n, _) in &binds {
            scope.add(*n, true);
        }
        self.frame(d, Vec::new(), scope, |c| {
            let mut nodes = Vec::with_capacity(binds.len() + 1);
            for (i, (n, v)) in binds.iter().enumerate() {
                let value = c.expr_named(v, Some(*n))?;
                let kind = NodeKind::SetLocal {
                    depth: 0,
                    index: i as u32,
                    value,
                };
                nodes.push(node(kind, c.site(v)));
            }
            nodes.push(c.body(body, d)?);
            Ok(c.seq(nodes, d))
        })
    }

    pub(super) fn cond(&mut self, d: &Datum, args: &[Datum]) -> CResult<NodeRef> {
        let mut clauses = Vec::with_capacity(args.len());
        for (i, cl) in args.iter().enumerate() {
            let items = match cl.list() {
                Some(items) if !items.is_empty() => items,
                _ => return Err(self.err(cl, "bad cond clause: expected (test body ...)")),
            };
            let is_else = items[0].symbol().is_some_and(|s| s.name() == "else")
                && self.lookup(Ident::new("else")).is_none();
            if is_else {
                if i + 1 != args.len() {
                    return Err(self.err(cl, "bad cond: else must be the last clause"));
                }
                if items.len() < 2 {
                    return Err(self.err(cl, "bad cond: empty else clause"));
                }
                let nodes = items[1..]
                    .iter()
                    .map(|x| self.expr(x))
                    .collect::<CResult<_>>()?;
                clauses.push(Clause::Else(self.seq(nodes, cl)));
                continue;
            }
            let test = self.expr(&items[0])?;
            let arrow = items
                .get(1)
                .and_then(Datum::symbol)
                .is_some_and(|s| s.name() == "=>");
            if arrow {
                let [_, _, receiver] = items else {
                    return Err(self.err(cl, "bad cond clause: expected (test => receiver)"));
                };
                let receiver = self.expr(receiver)?;
                clauses.push(Clause::Arrow { test, receiver });
            } else if items.len() == 1 {
                clauses.push(Clause::Test { test, body: None });
            } else {
                let nodes = items[1..]
                    .iter()
                    .map(|x| self.expr(x))
                    .collect::<CResult<_>>()?;
                clauses.push(Clause::Test {
                    test,
                    body: Some(self.seq(nodes, cl)),
                });
            }
        }
        Ok(node(NodeKind::Cond(clauses.into()), self.site(d)))
    }

    pub(super) fn case(&mut self, d: &Datum, args: &[Datum]) -> CResult<NodeRef> {
        let Some((key, rest)) = args.split_first() else {
            return Err(self.err(
                d,
                "bad case: expected (case key ((datum ...) body ...) ...)",
            ));
        };
        let key = self.expr(key)?;
        let mut clauses = Vec::new();
        let mut els = None;
        for (i, cl) in rest.iter().enumerate() {
            let items = match cl.list() {
                Some(items) if items.len() >= 2 => items,
                _ => return Err(self.err(cl, "bad case clause: expected ((datum ...) body ...)")),
            };
            let nodes = items[1..]
                .iter()
                .map(|x| self.expr(x))
                .collect::<CResult<_>>()?;
            let body = self.seq(nodes, cl);
            if items[0].symbol().is_some_and(|s| s.name() == "else") {
                if i + 1 != rest.len() {
                    return Err(self.err(cl, "bad case: else must be the last clause"));
                }
                els = Some(body);
            } else {
                let data = items[0].list().ok_or_else(|| {
                    self.err(&items[0], "bad case clause: expected a list of data")
                })?;
                clauses.push(CaseClause {
                    data: data.iter().map(datum_value).collect(),
                    body,
                });
            }
        }
        let kind = NodeKind::Case {
            key,
            clauses: clauses.into(),
            els,
        };
        Ok(node(kind, self.site(d)))
    }

    /// `` `template ``: constant parts stay quoted, `,x` is evaluated and
    /// `,@x` spliced, through calls to the builtin `list` and `append`.
    pub(super) fn quasi(&mut self, d: &Datum) -> CResult<NodeRef> {
        let site = self.site(d);
        let DatumKind::List(items, tail) = &d.kind else {
            return Ok(node(NodeKind::Const(datum_value(d)), site));
        };
        let head = items.first().and_then(Datum::symbol).map(Ident::name);
        match head {
            Some("unquote") if items.len() == 2 && tail.is_none() => return self.expr(&items[1]),
            Some("quasiquote") => return Err(self.err(d, "nested quasiquote is not supported")),
            _ => {}
        }
        if !has_unquote(d) {
            return Ok(node(NodeKind::Const(datum_value(d)), site));
        }
        let call = |name: &str, args: Vec<NodeRef>| {
            let f = node(
                NodeKind::Const(crate::builtins::primitive(name)),
                site.clone(),
            );
            node(
                NodeKind::Call {
                    func: f,
                    args: args.into(),
                },
                site.clone(),
            )
        };
        let mut segments = Vec::new();
        let mut run = Vec::new();
        for item in items {
            let splice = match &item.kind {
                DatumKind::List(x, None)
                    if x.len() == 2
                        && x[0]
                            .symbol()
                            .is_some_and(|s| s.name() == "unquote-splicing") =>
                {
                    Some(&x[1])
                }
                _ => None,
            };
            match splice {
                Some(x) => {
                    if !run.is_empty() {
                        segments.push(call("list", std::mem::take(&mut run)));
                    }
                    segments.push(self.expr(x)?);
                }
                None => run.push(self.quasi(item)?),
            }
        }
        if !run.is_empty() {
            segments.push(call("list", run));
        }
        if let Some(t) = tail {
            segments.push(self.quasi(t)?);
        }
        Ok(call("append", segments))
    }
}

fn has_unquote(d: &Datum) -> bool {
    let mut todo = vec![d];
    while let Some(d) = todo.pop() {
        if let DatumKind::List(items, tail) = &d.kind {
            let head = items.first().and_then(Datum::symbol).map(Ident::name);
            if matches!(head, Some("unquote" | "unquote-splicing")) {
                return true;
            }
            todo.extend(items.iter());
            todo.extend(tail.as_deref());
        }
    }
    false
}
