//! The m0ld code generator: turns the parsed [`Unit`]s into [`Mold`]s,
//! innermost first, without recursion. It owns register allocation
//! (declared registers first, in declaration order, then one shared
//! scratch register, then the constants), constant deduplication, label
//! resolution, the position table and the semantic diagnostics
//! (undeclared registers, undefined or duplicate labels, non-UTF-8
//! names, and the encoding's fixed-width limits: arguments per call,
//! registers and code words per mold, see [`Limits`]).

use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

use polyeval_core::{Ident, Value};

use crate::mold::{Mold, MoldObject, Pos, MAX_CALL_ARGS, MAX_CODE_WORDS, MAX_REGISTERS};
use crate::ops::Op;

use super::diag::{shorten, Sink};
use super::parser::{Arg, Call, Lit, Name, Operand, Rhs, Stmt, StmtKind, Unit};

/// What one Mold may hold. The assembler checks each limit at the construct
/// that would overflow it and reports a diagnostic there, so that every
/// Mold it returns passes [`Mold::validate`]. Labels need no limit of
/// their own: they become instruction indexes, then `u32` word addresses
/// (absolute, not offsets), which the code-word limit bounds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Positional arguments of one call, and separately named ones.
    pub args: usize,
    /// Registers: declared, the scratch register and constants.
    pub registers: usize,
    /// Words of encoded code.
    pub code_words: usize,
}

impl Limits {
    /// The limits of the encoding (`ops.rs`, `mold.rs`); tests use
    /// smaller ones to reach every check.
    pub(crate) const ENCODING: Limits = Limits {
        args: MAX_CALL_ARGS,
        registers: MAX_REGISTERS,
        code_words: MAX_CODE_WORDS,
    };
}

/// A register before the final layout is known.
#[derive(Debug, Clone, Copy)]
enum Reg {
    /// The `n`th declared register.
    Declared(u32),
    /// The shared scratch register that bare calls write to.
    Scratch,
    /// The register of constant `n`.
    Const(u32),
}

/// Where a jump goes before addresses are known.
#[derive(Debug, Clone)]
enum Target {
    /// A label, resolved after the whole unit is seen.
    Label(Name),
    /// The instruction with this index (or the end).
    Index(usize),
}

/// An instruction before registers and labels are final.
#[derive(Debug)]
enum Inst {
    Call {
        dst: Reg,
        inv: Reg,
        method: Ident,
        pos: Vec<Reg>,
        named: Vec<(Ident, Reg)>,
    },
    Move {
        dst: Reg,
        src: Reg,
    },
    Goto {
        target: Target,
    },
    If {
        cond: Reg,
        then: Target,
        otherwise: Target,
    },
    Noop,
}

/// A right-hand side's value: a register to move from, or a call whose
/// destination (a placeholder until then) is filled in by [`UnitGen::assign`].
enum Source {
    Reg(Reg),
    Call(Inst),
}

/// The identity of a literal constant, for deduplication: same type and
/// same bits or bytes.
#[derive(Debug, PartialEq, Eq, Hash)]
enum ConstKey {
    Int(i64),
    Float(u64),
    Str(Vec<u8>),
}

/// The state of one unit (a file or a `mold { ... }` body) being
/// compiled; nested units get their own.
struct UnitGen<'s> {
    sink: &'s mut Sink,
    file: Rc<str>,
    /// The compiled units from index `base` on (the ones nested in this
    /// one among them), each taken when its `mold { ... }` is used.
    built: &'s mut [Option<Rc<Mold>>],
    base: usize,
    /// The register each visible name is bound to.
    scope: HashMap<String, u32>,
    /// The `$name` of each declared register, in declaration order.
    declared: Vec<String>,
    scratch_used: bool,
    consts: Vec<Value>,
    const_index: HashMap<ConstKey, u32>,
    /// Each instruction with the statement it comes from: where the
    /// statement starts and its first token.
    insts: Vec<(Inst, Pos, Range<usize>)>,
    /// Each label's instruction index and where it is defined.
    labels: HashMap<String, (usize, Pos)>,
    limits: Limits,
    /// The first bare call statement (the scratch register's first user).
    first_scratch: Option<(Range<usize>, Pos)>,
    /// Whether the register limit was already reported for this unit.
    too_many_registers: bool,
}

/// Compiles the units [`super::parser::parse`] returned; the first, the
/// file, becomes `main`. Problems go to `sink`; the result is only
/// meaningful when nothing was reported.
pub(crate) fn generate(
    units: &[Unit],
    file: &str,
    limits: Limits,
    predeclared: &[String],
    sink: &mut Sink,
) -> Rc<Mold> {
    let file: Rc<str> = Rc::from(file);
    let mut built: Vec<Option<Rc<Mold>>> = vec![None; units.len()];
    // A nested unit comes after the unit containing it, so going backwards
    // builds every mold before the one that holds it as a constant.
    for (i, unit) in units.iter().enumerate().rev() {
        let name: Rc<str> = if i == 0 {
            Rc::from("main")
        } else {
            Rc::from(format!("mold@{}", unit.line))
        };
        let (done, nested) = built.split_at_mut(i + 1);
        let pre = if i == 0 { predeclared } else { &[] };
        let mold = unit_mold(unit, file.clone(), name, nested, i + 1, limits, pre, sink);
        done[i] = Some(Rc::new(mold));
    }
    // `parse` always returns the file's unit; an empty list is an empty
    // program.
    built.into_iter().next().flatten().unwrap_or_else(|| {
        Rc::new(Mold {
            file,
            name: Rc::from("main"),
            consts: Vec::new(),
            nfree: 0,
            code: Vec::new(),
            positions: Vec::new(),
            reg_names: Vec::new(),
            lowered: Default::default(),
        })
    })
}

/// Compiles one unit; `built` holds the compiled units from index `base`
/// on. The names in `predeclared` (without `$`) are declared before the
/// unit's first statement, in order, as if by `my`.
#[allow(clippy::too_many_arguments)]
fn unit_mold(
    unit: &Unit,
    file: Rc<str>,
    name: Rc<str>,
    built: &mut [Option<Rc<Mold>>],
    base: usize,
    limits: Limits,
    predeclared: &[String],
    sink: &mut Sink,
) -> Mold {
    let mut g = UnitGen {
        sink,
        file,
        built,
        base,
        scope: HashMap::new(),
        declared: Vec::new(),
        scratch_used: false,
        consts: Vec::new(),
        const_index: HashMap::new(),
        insts: Vec::new(),
        labels: HashMap::new(),
        limits,
        first_scratch: None,
        too_many_registers: false,
    };
    for n in predeclared {
        let index = to_u32(g.declared.len());
        g.declared.push(format!("${n}"));
        g.scope.insert(n.clone(), index);
    }
    for stmt in &unit.stmts {
        g.stmt(stmt);
    }
    g.finish(name)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl UnitGen<'_> {
    fn stmt(&mut self, stmt: &Stmt) {
        let here = self.insts.len();
        for label in &stmt.labels {
            if let Some(&(_, first)) = self.labels.get(&label.name) {
                self.sink.error(
                    label.span.clone(),
                    label.pos,
                    format!("duplicate label `{}`", shorten(&label.name)),
                    vec![format!(
                        "`{}` is first defined at {}:{}",
                        shorten(&label.name),
                        first.line,
                        first.col
                    )],
                );
            } else {
                self.labels.insert(label.name.clone(), (here, label.pos));
            }
        }
        let pos = stmt.pos;
        let head = &stmt.head;
        match &stmt.kind {
            StmtKind::Decl { name, init } => {
                // The right-hand side still sees the previous binding.
                let value = init.as_ref().map(|rhs| self.rhs(rhs));
                let dst = self.declare(name);
                if let Some(value) = value {
                    self.assign(dst, value, pos, head);
                }
            }
            StmtKind::Assign { target, value } => {
                let value = self.rhs(value);
                let dst = self.reg(target);
                self.assign(dst, value, pos, head);
            }
            StmtKind::Call(call) => {
                self.scratch_used = true;
                if self.first_scratch.is_none() {
                    self.first_scratch = Some((call.span.clone(), call.pos));
                }
                let inst = self.call(Reg::Scratch, call);
                self.insts.push((inst, pos, head.clone()));
            }
            StmtKind::Goto(label) => {
                let target = Target::Label(label.clone());
                self.insts.push((Inst::Goto { target }, pos, head.clone()));
            }
            StmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                let cond = self.operand(cond);
                let then = Target::Label(then.clone());
                let otherwise = match otherwise {
                    Some(l) => Target::Label(l.clone()),
                    None => Target::Index(self.insts.len() + 1),
                };
                self.insts.push((
                    Inst::If {
                        cond,
                        then,
                        otherwise,
                    },
                    pos,
                    head.clone(),
                ));
            }
            StmtKind::Noop => self.insts.push((Inst::Noop, pos, head.clone())),
            StmtKind::Error => {}
        }
    }

    /// Emits `dst = value`, where `value` is a register (a move) or a call
    /// waiting for its destination.
    fn assign(&mut self, dst: Reg, value: Source, pos: Pos, head: &Range<usize>) {
        let inst = match value {
            Source::Reg(src) => Inst::Move { dst, src },
            Source::Call(mut inst) => {
                if let Inst::Call { dst: d, .. } = &mut inst {
                    *d = dst;
                }
                inst
            }
        };
        self.insts.push((inst, pos, head.clone()));
    }

    fn rhs(&mut self, rhs: &Rhs) -> Source {
        match rhs {
            Rhs::Operand(op) => Source::Reg(self.operand(op)),
            Rhs::Call(call) => Source::Call(self.call(Reg::Scratch, call)),
        }
    }

    fn call(&mut self, dst: Reg, call: &Call) -> Inst {
        let inv = self.operand(&call.inv);
        let method = self.ident(&call.method, &call.method_span, call.method_pos, "method");
        let mut pos = Vec::new();
        let mut named = Vec::new();
        for arg in &call.args {
            match arg {
                Arg::Positional(op) => pos.push(self.operand(op)),
                Arg::Named {
                    name,
                    span,
                    pos: at,
                    value,
                } => {
                    let name = self.ident(name, span, *at, "argument");
                    named.push((name, self.operand(value)));
                }
            }
        }
        for (n, what) in [(pos.len(), "positional"), (named.len(), "named")] {
            if n > self.limits.args {
                self.too_many_args(call, n, what);
            }
        }
        Inst::Call {
            dst,
            inv,
            method,
            pos,
            named,
        }
    }

    /// Reports a call with more than [`Limits::args`] arguments of one
    /// kind.
    #[cold]
    fn too_many_args(&mut self, call: &Call, n: usize, what: &str) {
        let max = self.limits.args;
        self.sink.error(
            call.span.clone(),
            call.pos,
            format!("too many {what} arguments in one call ({n}; at most {max})"),
            vec![
                "a call instruction counts each kind of argument in 16 bits; \
                 pass longer lists in a container such as an `Array`"
                    .into(),
            ],
        );
    }

    /// Interns a method or argument name, which must be UTF-8.
    fn ident(&mut self, bytes: &[u8], span: &Range<usize>, at: Pos, what: &str) -> Ident {
        match std::str::from_utf8(bytes) {
            Ok(name) => Ident::new(name),
            Err(_) => {
                self.sink.error(
                    span.clone(),
                    at,
                    format!("{what} name is not valid UTF-8"),
                    vec!["`\\xHH` escapes are fine in string constants, not in names".into()],
                );
                Ident::from_bytes(bytes)
            }
        }
    }

    fn operand(&mut self, op: &Operand) -> Reg {
        match op {
            Operand::Reg(name) => self.reg(name),
            Operand::Lit { lit, span, pos } => self.literal(lit, span, *pos),
            Operand::Mold { unit, span, pos } => {
                let inner = unit
                    .checked_sub(self.base)
                    .and_then(|i| self.built.get_mut(i))
                    .and_then(Option::take);
                let value = match inner {
                    Some(m) => MoldObject::value(m),
                    None => {
                        // The parser hands out each block once, to its parent.
                        self.sink.error(
                            span.clone(),
                            *pos,
                            "internal assembler error: nested mold used twice",
                            Vec::new(),
                        );
                        Value::Nil
                    }
                };
                Reg::Const(self.push_const(value, span, *pos))
            }
        }
    }

    fn literal(&mut self, lit: &Lit, span: &Range<usize>, at: Pos) -> Reg {
        let (key, value) = match lit {
            Lit::Int(i) => (ConstKey::Int(*i), Value::Int(*i)),
            Lit::Float(f) => (ConstKey::Float(f.to_bits()), Value::Float(*f)),
            Lit::Str(s) => (ConstKey::Str(s.clone()), Value::str(s)),
        };
        if let Some(&i) = self.const_index.get(&key) {
            return Reg::Const(i);
        }
        let i = self.push_const(value, span, at);
        self.const_index.insert(key, i);
        Reg::Const(i)
    }

    /// Adds a constant, written at `span`, without deduplication and
    /// returns its index.
    fn push_const(&mut self, value: Value, span: &Range<usize>, at: Pos) -> u32 {
        self.count_register(span, at, "constant");
        self.consts.push(value);
        to_u32(self.consts.len() - 1)
    }

    /// Checks that one more register (declared or constant, written at
    /// `span`) fits in [`Limits::registers`], counting the scratch register
    /// once it is known to be needed ([`UnitGen::finish`] checks it again).
    fn count_register(&mut self, span: &Range<usize>, at: Pos, what: &str) {
        let scratch = usize::from(self.scratch_used);
        let have = self
            .declared
            .len()
            .saturating_add(self.consts.len())
            .saturating_add(scratch);
        if have >= self.limits.registers {
            self.too_many_registers(span.clone(), at, what);
        }
    }

    /// Reports, once per unit, that a register does not fit.
    #[cold]
    fn too_many_registers(&mut self, span: Range<usize>, at: Pos, what: &str) {
        if self.too_many_registers {
            return;
        }
        self.too_many_registers = true;
        let max = self.limits.registers;
        self.sink.error(
            span,
            at,
            format!("too many registers in one mold (this {what} needs one more than the {max} allowed)"),
            vec![
                "every `my`, every distinct constant and the scratch register of bare calls take one; \
                 move code into `mold { ... }` blocks, which have registers of their own"
                    .into(),
            ],
        );
    }

    /// Allocates a new register for `my $name` and binds the name to it.
    fn declare(&mut self, name: &Name) -> Reg {
        self.count_register(&name.span, name.pos, "declaration");
        let index = to_u32(self.declared.len());
        self.declared.push(format!("${}", name.name));
        self.scope.insert(name.name.clone(), index);
        Reg::Declared(index)
    }

    /// The register `$name` is bound to.
    fn reg(&mut self, name: &Name) -> Reg {
        match self.scope.get(&name.name) {
            Some(&i) => Reg::Declared(i),
            None => {
                let short = shorten(&name.name);
                self.sink.error(
                    name.span.clone(),
                    name.pos,
                    format!("undeclared register ${short}"),
                    vec![format!("declare it first with `my ${short};`")],
                );
                Reg::Declared(0)
            }
        }
    }

    /// Resolves registers and labels, encodes the instructions and builds
    /// the Mold.
    fn finish(mut self, name: Rc<str>) -> Mold {
        if self.scratch_used {
            let total = self.declared.len().saturating_add(self.consts.len());
            if total >= self.limits.registers {
                if let Some((span, at)) = self.first_scratch.clone() {
                    self.too_many_registers(span, at, "call's scratch register");
                }
            }
        }
        let ndeclared = to_u32(self.declared.len());
        let nfree = ndeclared.saturating_add(u32::from(self.scratch_used));
        let reg = |r: Reg| match r {
            Reg::Declared(i) => i,
            Reg::Scratch => ndeclared,
            Reg::Const(i) => nfree.saturating_add(i),
        };
        // Labels become instruction indexes, then addresses: a first
        // encoding pass finds where each instruction starts, since an
        // instruction's size does not depend on its label operands.
        let mut insts = std::mem::take(&mut self.insts);
        for (inst, _, _) in &mut insts {
            let targets: Vec<&mut Target> = match inst {
                Inst::Goto { target } => vec![target],
                Inst::If {
                    then, otherwise, ..
                } => vec![then, otherwise],
                _ => Vec::new(),
            };
            for t in targets {
                if let Target::Label(l) = t {
                    let index = match self.labels.get(&l.name) {
                        Some(&(i, _)) => i,
                        None => {
                            self.sink.error(
                                l.span.clone(),
                                l.pos,
                                format!("undefined label `{}`", shorten(&l.name)),
                                Vec::new(),
                            );
                            0
                        }
                    };
                    *t = Target::Index(index);
                }
            }
        }
        let mut starts = Vec::with_capacity(insts.len());
        let mut code = Vec::new();
        let mut overflow = None;
        for (inst, pos, head) in &insts {
            starts.push(to_u32(code.len()));
            encode(inst, &reg, &|_| 0, &mut code);
            if code.len() > self.limits.code_words {
                overflow = Some((head.clone(), *pos, code.len()));
                break;
            }
        }
        if let Some((head, pos, words)) = overflow {
            self.too_much_code(head, pos, words);
            // The Mold is not used; stop growing it.
            insts.truncate(starts.len());
        }
        let end = to_u32(code.len());
        let address = |t: &Target| match t {
            Target::Index(i) => starts.get(*i).copied().unwrap_or(end),
            Target::Label(_) => 0,
        };
        code.clear();
        let mut positions = Vec::with_capacity(insts.len());
        for (inst, pos, _) in &insts {
            positions.push((to_u32(code.len()), *pos));
            encode(inst, &reg, &address, &mut code);
        }
        let mut reg_names: Vec<Option<String>> = self.declared.into_iter().map(Some).collect();
        if self.scratch_used {
            reg_names.push(None);
        }
        let mold = Mold {
            file: self.file,
            name,
            consts: self.consts,
            nfree,
            code,
            positions,
            reg_names,
            lowered: Default::default(),
        };
        if !self.sink.has_errors() {
            if let Err(e) = mold.validate() {
                self.sink.error(
                    0..0,
                    Pos { line: 1, col: 1 },
                    format!("internal assembler error: {e}"),
                    vec![format!("in mold `{}`", mold.name)],
                );
            }
        }
        mold
    }
}

impl UnitGen<'_> {
    /// Reports the statement whose code passes [`Limits::code_words`].
    #[cold]
    fn too_much_code(&mut self, span: Range<usize>, at: Pos, words: usize) {
        let max = self.limits.code_words;
        self.sink.error(
            span,
            at,
            format!(
                "too much code in one mold (this statement ends at word {words}; at most {max})"
            ),
            vec!["move code into `mold { ... }` blocks, which are compiled separately".into()],
        );
    }
}

/// Encodes `inst` with final register numbers and jump addresses.
fn encode(
    inst: &Inst,
    reg: &dyn Fn(Reg) -> u32,
    address: &dyn Fn(&Target) -> u32,
    out: &mut Vec<u32>,
) {
    match inst {
        Inst::Call {
            dst,
            inv,
            method,
            pos,
            named,
        } => {
            let pos: Vec<u32> = pos.iter().map(|r| reg(*r)).collect();
            let named: Vec<u32> = named
                .iter()
                .flat_map(|(n, r)| [n.index(), reg(*r)])
                .collect();
            match (pos.as_slice(), named.is_empty()) {
                ([], true) => Op::Call0 {
                    dst: reg(*dst),
                    inv: reg(*inv),
                    method: *method,
                },
                ([arg], true) => Op::Call1 {
                    dst: reg(*dst),
                    inv: reg(*inv),
                    method: *method,
                    arg: *arg,
                },
                _ => Op::Call {
                    dst: reg(*dst),
                    inv: reg(*inv),
                    method: *method,
                    pos: &pos,
                    named: &named,
                },
            }
            .encode(out);
        }
        Inst::Move { dst, src } => Op::Move {
            dst: reg(*dst),
            src: reg(*src),
        }
        .encode(out),
        Inst::Goto { target } => Op::Goto {
            target: address(target),
        }
        .encode(out),
        Inst::If {
            cond,
            then,
            otherwise,
        } => Op::If {
            cond: reg(*cond),
            then: address(then),
            otherwise: address(otherwise),
        }
        .encode(out),
        Inst::Noop => Op::Noop {}.encode(out),
    }
}
