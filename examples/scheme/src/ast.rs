//! The compiled form of a program: a tree of [`Node`]s the machine
//! evaluates, every node with its [`Site`] (file, line, column and the
//! procedure it belongs to), and [`LambdaCode`], the code of one `lambda`.
//!
//! Variables are resolved at compile time: a local is a (depth, index)
//! address in the chain of environment frames, a global a shared cell.
//! Forms that could nest without bound in the tree (`cond` with many
//! clauses, `let*` with many bindings) compile to flat nodes, so the
//! tree is never deeper than the source text's nesting.

use std::rc::Rc;

use polyeval_core::{FrameInfo, Ident, Value};

use crate::env::GlobalCell;

/// Where a node comes from.
pub(crate) type Site = Rc<SiteInfo>;

/// A source position and the procedure whose body holds it.
pub(crate) struct SiteInfo {
    pub file: Rc<str>,
    pub line: u32,
    pub col: u32,
    /// The enclosing procedure's name; `None` at top level or in an
    /// anonymous `lambda`.
    pub proc: Option<Rc<str>>,
}

impl SiteInfo {
    /// `file:line:col: `, the prefix of error messages.
    pub fn prefix(&self) -> String {
        format!("{}:{}:{}: ", self.file, self.line, self.col)
    }

    /// The backtrace frame for a continuation waiting here.
    pub fn frame(&self) -> FrameInfo {
        FrameInfo {
            interp: "scheme",
            file: self.file.clone(),
            line: self.line,
            col: self.col,
            name: self.proc.clone(),
        }
    }
}

/// A shared reference to a node: frames of the machine hold these.
pub(crate) type NodeRef = Rc<Node>;

/// One expression.
pub(crate) struct Node {
    pub kind: NodeKind,
    pub site: Site,
}

/// What an expression does.
pub(crate) enum NodeKind {
    /// A literal or quoted datum.
    Const(Value),
    /// A local variable: `depth` frames up, slot `index`. `checked` slots
    /// (internal defines, `letrec`) may be read before they are assigned.
    Local {
        depth: u32,
        index: u32,
        name: Ident,
        checked: bool,
    },
    /// A local that holds a procedure's code ([`CodeRef`]) rather than a
    /// closure: it evaluates to a closure of that code over the frame that
    /// holds it. Internal defines and named lets whose procedure is only
    /// called compile to this, so the frame does not hold a closure over
    /// itself (a reference cycle). Anything else the slot holds (after a
    /// `set!`) is its value.
    Known { depth: u32, index: u32, name: Ident },
    /// A global variable.
    Global(Rc<GlobalCell>),
    /// `set!` of a local, or the initialisation of an internal define.
    SetLocal {
        depth: u32,
        index: u32,
        value: NodeRef,
    },
    /// `set!` (which needs the variable bound) or `define` of a global.
    SetGlobal {
        cell: Rc<GlobalCell>,
        value: NodeRef,
        define: bool,
    },
    /// `if`, with `None` for a missing alternative.
    If {
        test: NodeRef,
        then: NodeRef,
        els: Option<NodeRef>,
    },
    /// A `lambda` expression: evaluates to a closure.
    Lambda(Rc<LambdaCode>),
    /// A body or `begin`: never empty.
    Seq(Rc<[NodeRef]>),
    /// An application.
    Call { func: NodeRef, args: Rc<[NodeRef]> },
    /// A new environment frame of `nlocals` slots: the first hold the
    /// values of `inits` (evaluated in the outer environment), the rest
    /// start unassigned; then `body` runs in it. `let`, `letrec` and
    /// `let*` compile to this.
    Let {
        inits: Rc<[NodeRef]>,
        nlocals: u32,
        body: NodeRef,
    },
    /// `and` (`true`) or `or` (`false`) of at least two expressions.
    Logic { and: bool, parts: Rc<[NodeRef]> },
    /// `cond`.
    Cond(Rc<[Clause]>),
    /// `case`: the key, then clauses of data.
    Case {
        key: NodeRef,
        clauses: Rc<[CaseClause]>,
        els: Option<NodeRef>,
    },
}

/// One `cond` clause.
pub(crate) enum Clause {
    /// `(test body...)`; with no body the test's value is the result.
    Test {
        test: NodeRef,
        body: Option<NodeRef>,
    },
    /// `(test => receiver)`.
    Arrow { test: NodeRef, receiver: NodeRef },
    /// `(else body...)`.
    Else(NodeRef),
}

/// One `case` clause: its data and body.
pub(crate) struct CaseClause {
    pub data: Vec<Value>,
    pub body: NodeRef,
}

/// The code of a `lambda`.
pub(crate) struct LambdaCode {
    pub name: Option<Rc<str>>,
    /// Required parameters.
    pub nreq: u32,
    /// Whether a rest parameter takes the remaining arguments as a list.
    pub rest: bool,
    /// Slots of a call's frame: parameters, then internal defines.
    pub nlocals: u32,
    pub body: NodeRef,
    /// Where the `lambda` is.
    pub site: Site,
}

impl LambdaCode {
    /// The name for messages: the procedure's, or `lambda`.
    pub fn shown_name(&self) -> &str {
        self.name.as_deref().unwrap_or("lambda")
    }
}

/// A procedure's code held as a value, without an environment (see
/// [`NodeKind::Known`]).
pub(crate) struct CodeRef(pub Rc<LambdaCode>);

impl polyeval_core::Object for CodeRef {
    fn type_name(&self) -> &'static str {
        "Code"
    }

    fn send(
        &self,
        _rt: &mut polyeval_core::Cx,
        method: Ident,
        cap: polyeval_core::Capture<'_>,
    ) -> Result<polyeval_core::Reply, polyeval_core::ScriptError> {
        polyeval_core::answer_plain("Code", method, cap)
    }
}
