//! The m0ld parser: a recursive-descent parser from [`Token`]s to the
//! syntax tree ([`Unit`], [`Stmt`], ...) the code generator consumes. It
//! reports syntax errors and recovers at the next `;` of the same block,
//! so one run reports several errors.
//!
//! Nested `mold { ... }` blocks are not parsed recursively: a block's
//! extent comes from a precomputed brace matching, the operand records
//! the block's index, and [`parse`] works through the blocks as a list.
//! So native stack use does not grow with nesting, which is still capped
//! at [`MAX_DEPTH`].

use std::ops::Range;

use crate::mold::Pos;

use super::diag::Sink;
use super::lexer::{Token, TokenKind};

/// The deepest `mold { ... }` nesting accepted.
pub(crate) const MAX_DEPTH: u32 = 200;

/// A name with where it was written: a register (without `$`) or a label.
#[derive(Debug, Clone)]
pub(crate) struct Name {
    /// The name.
    pub name: String,
    /// Its bytes in the source.
    pub span: Range<usize>,
    /// Where it starts.
    pub pos: Pos,
}

/// A compilation unit: the whole file, or the body of a `mold { ... }`.
/// [`parse`] returns them in a list: the file first, and every nested
/// block after the block containing it.
#[derive(Debug)]
pub(crate) struct Unit {
    /// Its statements in order.
    pub stmts: Vec<Stmt>,
    /// The line of the `mold` keyword (1 for the file).
    pub line: u32,
}

/// One statement and the labels that prefix it.
#[derive(Debug)]
pub(crate) struct Stmt {
    /// `name:` prefixes, in order.
    pub labels: Vec<Name>,
    /// What it does.
    pub kind: StmtKind,
    /// Where it starts (after its labels).
    pub pos: Pos,
    /// The bytes of its first token (after its labels), where diagnostics
    /// about the statement as a whole point.
    pub head: Range<usize>,
}

/// The kinds of statement.
#[derive(Debug)]
pub(crate) enum StmtKind {
    /// `my $x;` or `my $x = rhs;`.
    Decl {
        /// The declared register.
        name: Name,
        /// The initial value, if any.
        init: Option<Rhs>,
    },
    /// `$x = rhs;`.
    Assign {
        /// The assigned register.
        target: Name,
        /// The value.
        value: Rhs,
    },
    /// A call whose result is dropped.
    Call(Call),
    /// `goto label;`.
    Goto(Name),
    /// `if cond { goto a } else { goto b };`, the `else` part optional.
    If {
        /// The tested value.
        cond: Operand,
        /// Where to go when it is true.
        then: Name,
        /// Where to go when it is false; the next statement if `None`.
        otherwise: Option<Name>,
    },
    /// `noop;`.
    Noop,
    /// A statement that failed to parse (already reported); it emits
    /// nothing but keeps its labels defined.
    Error,
}

/// The right-hand side of a declaration or assignment.
#[derive(Debug)]
pub(crate) enum Rhs {
    /// A register, a literal or a nested mold: a move.
    Operand(Operand),
    /// A call: its result lands in the target register.
    Call(Call),
}

/// `inv."method"(args...)`.
#[derive(Debug)]
pub(crate) struct Call {
    /// The bytes from the invocant's first token through the method name,
    /// where diagnostics about the call point.
    pub span: Range<usize>,
    /// Where the invocant starts.
    pub pos: Pos,
    /// The invocant.
    pub inv: Operand,
    /// The method name's bytes.
    pub method: Vec<u8>,
    /// Where the method name is written.
    pub method_span: Range<usize>,
    /// Where the method name starts.
    pub method_pos: Pos,
    /// Positional and named arguments, in source order.
    pub args: Vec<Arg>,
}

/// An argument of a call.
#[derive(Debug)]
pub(crate) enum Arg {
    /// A positional argument.
    Positional(Operand),
    /// `:"name"(value)`.
    Named {
        /// The name's bytes.
        name: Vec<u8>,
        /// Where the name is written.
        span: Range<usize>,
        /// Where the name starts.
        pos: Pos,
        /// The value.
        value: Operand,
    },
}

/// Something that lives in a register.
#[derive(Debug)]
pub(crate) enum Operand {
    /// `$name`.
    Reg(Name),
    /// A literal, held in a constant register.
    Lit {
        /// Its value.
        lit: Lit,
        /// Its bytes in the source.
        span: Range<usize>,
        /// Where it starts.
        pos: Pos,
    },
    /// `mold { ... }`, held in a constant register.
    Mold {
        /// The index of its [`Unit`] in the list [`parse`] returns.
        unit: usize,
        /// The bytes of the `mold` keyword.
        span: Range<usize>,
        /// Where it starts.
        pos: Pos,
    },
}

/// A literal constant.
#[derive(Debug, Clone)]
pub(crate) enum Lit {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A byte string.
    Str(Vec<u8>),
}

/// A syntax error that was already reported (or came from a lexer error
/// token); the caller recovers.
#[derive(Debug)]
struct Fail;

type PResult<T> = Result<T, Fail>;

/// A `mold { ... }` block found while parsing its parent.
struct Block {
    /// The token index of its `{`.
    open: usize,
    /// The token index of its matching `}`.
    close: usize,
    /// How many `mold` blocks enclose it, itself included.
    depth: u32,
    /// The line of its `mold` keyword.
    line: u32,
}

struct Parser<'a> {
    src: &'a str,
    toks: &'a [Token],
    /// The token index of each `{`'s matching `}`, if it has one.
    closing: Vec<Option<usize>>,
    /// The current token.
    at: usize,
    /// The end of the block being parsed: its `}`, or the final `Eof`.
    /// The parser never moves past it, so `at <= end < toks.len()`.
    end: usize,
    /// The nesting depth of the block being parsed.
    depth: u32,
    /// Every nested block found so far; block `i` becomes unit `i + 1`.
    blocks: Vec<Block>,
    sink: &'a mut Sink,
}

/// Parses a whole file into its units: the file itself first, then every
/// nested `mold { ... }` block, each after the unit that contains it.
pub(crate) fn parse(src: &str, toks: &[Token], sink: &mut Sink) -> Vec<Unit> {
    let eof = [Token {
        kind: TokenKind::Eof,
        span: src.len()..src.len(),
        pos: Pos::default(),
    }];
    let toks = if toks.last().is_some_and(|t| t.kind == TokenKind::Eof) {
        toks
    } else {
        &eof
    };
    let mut closing = vec![None; toks.len()];
    let mut open = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            TokenKind::LBrace => open.push(i),
            TokenKind::RBrace => {
                if let Some(o) = open.pop() {
                    closing[o] = Some(i);
                }
            }
            _ => {}
        }
    }
    let mut p = Parser {
        src,
        toks,
        closing,
        at: 0,
        end: toks.len() - 1,
        depth: 0,
        blocks: Vec::new(),
        sink,
    };
    let mut units = vec![Unit {
        stmts: p.block(),
        line: 1,
    }];
    let mut next = 0;
    while let Some(b) = p.blocks.get(next) {
        let line = b.line;
        p.at = b.open + 1;
        p.end = b.close;
        p.depth = b.depth;
        units.push(Unit {
            stmts: p.block(),
            line,
        });
        next += 1;
    }
    units
}

impl Parser<'_> {
    fn tok(&self) -> &Token {
        self.nth(0)
    }

    fn nth(&self, n: usize) -> &Token {
        &self.toks[self.at.saturating_add(n).min(self.end)]
    }

    fn kind(&self) -> &TokenKind {
        &self.tok().kind
    }

    fn bump(&mut self) -> Token {
        let t = self.tok().clone();
        if self.at < self.end {
            self.at += 1;
        }
        t
    }

    /// Reports that the current token is not `expected`, unless it is a
    /// lexer error token, which was reported already.
    fn unexpected<T>(&mut self, expected: &str, notes: Vec<String>) -> PResult<T> {
        let t = self.tok().clone();
        if t.kind != TokenKind::Error {
            self.sink.error(
                t.span,
                t.pos,
                format!("expected {expected}, found {}", t.kind.describe()),
                notes,
            );
            if t.kind == TokenKind::Eof {
                self.sink.mark_at_end();
            }
        }
        Err(Fail)
    }

    fn expect(&mut self, kind: &TokenKind, expected: &str) -> PResult<Token> {
        if self.kind() == kind {
            Ok(self.bump())
        } else {
            self.unexpected(expected, Vec::new())
        }
    }

    /// The position just after the previous token, where a missing `;`
    /// belongs.
    fn after_previous(&self) -> (usize, Pos) {
        let Some(prev) = self.at.checked_sub(1).and_then(|i| self.toks.get(i)) else {
            return (0, Pos { line: 1, col: 1 });
        };
        let mut pos = prev.pos;
        for c in self.src.get(prev.span.clone()).unwrap_or("").chars() {
            if c == '\n' {
                pos.line = pos.line.saturating_add(1);
                pos.col = 1;
            } else {
                pos.col = pos.col.saturating_add(1);
            }
        }
        (prev.span.end, pos)
    }

    /// Parses the statements of the current block, up to its end.
    fn block(&mut self) -> Vec<Stmt> {
        let mut stmts = Vec::new();
        while self.at < self.end {
            if self.kind() == &TokenKind::RBrace {
                // Only an unmatched `}` can start a statement.
                let t = self.bump();
                self.sink.error(
                    t.span,
                    t.pos,
                    "unexpected `}`",
                    vec!["no block is open here".into()],
                );
                continue;
            }
            let before = self.at;
            stmts.push(self.stmt());
            if self.at == before {
                // Cannot happen, but guarantees termination.
                self.bump();
            }
        }
        stmts
    }

    /// Parses one statement with its labels and its `;`.
    fn stmt(&mut self) -> Stmt {
        let start = self.at;
        let mut labels = Vec::new();
        while self.nth(1).kind == TokenKind::Colon {
            let t = self.tok().clone();
            match &t.kind {
                TokenKind::Word(w) => {
                    labels.push(Name {
                        name: w.clone(),
                        span: t.span,
                        pos: t.pos,
                    });
                    self.bump();
                    self.bump();
                }
                TokenKind::My
                | TokenKind::Goto
                | TokenKind::If
                | TokenKind::Else
                | TokenKind::Noop
                | TokenKind::Mold => {
                    self.sink.error(
                        t.span,
                        t.pos,
                        format!("{} cannot be used as a label", t.kind.describe()),
                        Vec::new(),
                    );
                    self.bump();
                    self.bump();
                }
                _ => break,
            }
        }
        let pos = self.tok().pos;
        let head = self.tok().span.clone();
        let mut declared = None;
        let kind = match self.stmt_body(&mut declared) {
            Ok(kind) => {
                if self.kind() == &TokenKind::Semi {
                    self.bump();
                } else if self.kind() != &TokenKind::Error {
                    // Report the missing `;` where it belongs and go on as
                    // if it were there, so the next statement still parses.
                    let (at, at_pos) = self.after_previous();
                    let found = self.kind().describe();
                    self.sink.error(
                        at..at,
                        at_pos,
                        format!("expected `;` after statement, found {found}"),
                        Vec::new(),
                    );
                }
                kind
            }
            Err(Fail) => {
                self.recover(start);
                // Keep a declaration that got as far as its name, so later
                // uses of the register are not reported as undeclared.
                match declared {
                    Some(name) => StmtKind::Decl { name, init: None },
                    None => StmtKind::Error,
                }
            }
        };
        Stmt {
            labels,
            kind,
            pos,
            head,
        }
    }

    /// Skips the rest of a broken statement that began at token `start`:
    /// up to and including the first `;` outside braces at or after the
    /// error, or up to (not including) an unmatched `}`, or the end of the
    /// block.
    fn recover(&mut self, start: usize) {
        let err = self.at;
        let mut depth = 0usize;
        let mut j = start;
        while j < self.end {
            match self.toks[j].kind {
                TokenKind::LBrace => depth += 1,
                TokenKind::RBrace => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                }
                TokenKind::Semi if depth == 0 && j >= err => {
                    j += 1;
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        self.at = j.max(self.at).min(self.end);
    }

    fn stmt_body(&mut self, declared: &mut Option<Name>) -> PResult<StmtKind> {
        match self.kind().clone() {
            TokenKind::My => {
                self.bump();
                let name = self.reg_name("a register name after `my`")?;
                *declared = Some(name.clone());
                let init = if self.kind() == &TokenKind::Assign {
                    self.bump();
                    Some(self.rhs()?)
                } else {
                    None
                };
                Ok(StmtKind::Decl { name, init })
            }
            TokenKind::Goto => {
                self.bump();
                Ok(StmtKind::Goto(self.label()?))
            }
            TokenKind::If => {
                self.bump();
                let cond = self.operand()?;
                let then = self.branch()?;
                let otherwise = if self.kind() == &TokenKind::Else {
                    self.bump();
                    Some(self.branch()?)
                } else {
                    None
                };
                Ok(StmtKind::If {
                    cond,
                    then,
                    otherwise,
                })
            }
            TokenKind::Noop => {
                self.bump();
                Ok(StmtKind::Noop)
            }
            TokenKind::Reg(_) if self.nth(1).kind == TokenKind::Assign => {
                let target = self.reg_name("a register")?;
                self.bump();
                let value = self.rhs()?;
                Ok(StmtKind::Assign { target, value })
            }
            TokenKind::Reg(_) if self.nth(1).kind != TokenKind::Dot => {
                let t = self.bump();
                self.unexpected(
                    &format!("`=` or `.` after {}", t.kind.describe()),
                    Vec::new(),
                )
            }
            TokenKind::Reg(_)
            | TokenKind::Int(_)
            | TokenKind::Float(_)
            | TokenKind::Str(_)
            | TokenKind::Mold => {
                let start = (self.tok().span.start, self.tok().pos);
                let inv = self.operand()?;
                Ok(StmtKind::Call(self.call(inv, start)?))
            }
            TokenKind::Word(_) => self.unexpected(
                "a statement",
                vec!["a label is written `name:` before a statement".into()],
            ),
            _ => self.unexpected("a statement", Vec::new()),
        }
    }

    /// `{ goto label }` with an optional `;` after the label.
    fn branch(&mut self) -> PResult<Name> {
        self.expect(&TokenKind::LBrace, "`{ goto label }`")?;
        self.expect(&TokenKind::Goto, "`goto` (a branch is `{ goto label }`)")?;
        let label = self.label()?;
        if self.kind() == &TokenKind::Semi {
            self.bump();
        }
        self.expect(&TokenKind::RBrace, "`}`")?;
        Ok(label)
    }

    fn label(&mut self) -> PResult<Name> {
        let t = self.tok().clone();
        match t.kind {
            TokenKind::Word(name) => {
                self.bump();
                Ok(Name {
                    name,
                    span: t.span,
                    pos: t.pos,
                })
            }
            _ => self.unexpected("a label", Vec::new()),
        }
    }

    fn reg_name(&mut self, expected: &str) -> PResult<Name> {
        let t = self.tok().clone();
        match t.kind {
            TokenKind::Reg(name) => {
                self.bump();
                Ok(Name {
                    name,
                    span: t.span,
                    pos: t.pos,
                })
            }
            _ => self.unexpected(expected, Vec::new()),
        }
    }

    fn rhs(&mut self) -> PResult<Rhs> {
        let start = (self.tok().span.start, self.tok().pos);
        let value = self.operand()?;
        if self.kind() == &TokenKind::Dot {
            Ok(Rhs::Call(self.call(value, start)?))
        } else {
            Ok(Rhs::Operand(value))
        }
    }

    /// `."method"(args...)` after the invocant, which began at `start`
    /// (a byte offset and its position).
    fn call(&mut self, inv: Operand, start: (usize, Pos)) -> PResult<Call> {
        self.expect(&TokenKind::Dot, "`.` and a method call")?;
        let t = self.tok().clone();
        let TokenKind::Str(method) = t.kind else {
            return self.unexpected(
                "a method name in double quotes",
                vec!["methods are called as `$obj.\"name\"(args)`".into()],
            );
        };
        self.bump();
        self.expect(&TokenKind::LParen, "`(`")?;
        let mut args = Vec::new();
        if self.kind() == &TokenKind::RParen {
            self.bump();
        } else {
            loop {
                args.push(self.arg()?);
                match self.kind() {
                    TokenKind::Comma => {
                        self.bump();
                    }
                    TokenKind::RParen => {
                        self.bump();
                        break;
                    }
                    _ => return self.unexpected("`,` or `)`", Vec::new()),
                }
            }
        }
        Ok(Call {
            span: start.0..t.span.end,
            pos: start.1,
            inv,
            method,
            method_span: t.span,
            method_pos: t.pos,
            args,
        })
    }

    fn arg(&mut self) -> PResult<Arg> {
        if self.kind() != &TokenKind::Colon {
            return Ok(Arg::Positional(self.operand()?));
        }
        self.bump();
        let t = self.tok().clone();
        let TokenKind::Str(name) = t.kind else {
            return self.unexpected(
                "a named argument's name in double quotes",
                vec!["named arguments are written `:\"name\"(value)`".into()],
            );
        };
        self.bump();
        self.expect(&TokenKind::LParen, "`(`")?;
        let value = self.operand()?;
        self.expect(&TokenKind::RParen, "`)`")?;
        Ok(Arg::Named {
            name,
            span: t.span,
            pos: t.pos,
            value,
        })
    }

    /// A register, a literal or `mold { ... }`.
    fn operand(&mut self) -> PResult<Operand> {
        let t = self.tok().clone();
        let op = match t.kind {
            TokenKind::Reg(name) => Operand::Reg(Name {
                name,
                span: t.span,
                pos: t.pos,
            }),
            TokenKind::Int(i) => Operand::Lit {
                lit: Lit::Int(i),
                span: t.span,
                pos: t.pos,
            },
            TokenKind::Float(f) => Operand::Lit {
                lit: Lit::Float(f),
                span: t.span,
                pos: t.pos,
            },
            TokenKind::Str(s) => Operand::Lit {
                lit: Lit::Str(s),
                span: t.span,
                pos: t.pos,
            },
            TokenKind::Mold => {
                self.bump();
                let open = self.expect(&TokenKind::LBrace, "`{` after `mold`")?;
                let open_at = self.at.saturating_sub(1);
                let close = self.closing.get(open_at).copied().flatten();
                let Some(close) = close.filter(|&c| c < self.end) else {
                    self.sink.error(
                        open.span,
                        open.pos,
                        "unterminated `mold` block",
                        vec!["this `{` has no matching `}`".into()],
                    );
                    self.sink.mark_at_end();
                    return Err(Fail);
                };
                let depth = self.depth.saturating_add(1);
                if depth > MAX_DEPTH {
                    self.sink.error(
                        t.span,
                        t.pos,
                        format!("`mold` blocks are nested too deeply (the limit is {MAX_DEPTH})"),
                        Vec::new(),
                    );
                    return Err(Fail);
                }
                self.blocks.push(Block {
                    open: open_at,
                    close,
                    depth,
                    line: t.pos.line,
                });
                // Past the `}`; `close < end` as the block is balanced.
                self.at = close.saturating_add(1).min(self.end);
                return Ok(Operand::Mold {
                    unit: self.blocks.len(),
                    span: t.span,
                    pos: t.pos,
                });
            }
            _ => {
                return self.unexpected("a register, a literal or `mold { ... }`", Vec::new());
            }
        };
        self.bump();
        Ok(op)
    }
}
