//! A compiled m0ld unit: constants, register counts, the instruction
//! stream and its debug information. Nested `mold { ... }` blocks are
//! constants holding their own `Mold`.

use std::cell::{OnceCell, RefCell};
use std::fmt::Write;
use std::rc::Rc;

use crate::names;
use polyeval_core::{answer_plain, Capture, Cx, Ident, Object, Reply, ScriptError, Value};

pub use crate::natives::IntOp;
use crate::ops::{disasm_all, DecodeError, Op};

/// A source position: 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

/// The most positional arguments, and separately the most named arguments,
/// one call can pass: the lowered form ([`Inst::Call`]) counts each in a
/// `u16`.
pub const MAX_CALL_ARGS: usize = u16::MAX as usize;

/// The most registers (free and constant together) one Mold can have:
/// register operands are `u32` words and [`Mold::nregs`] is a `u32`.
pub const MAX_REGISTERS: usize = u32::MAX as usize;

/// The most code words one Mold can have: jump targets and the pcs in
/// [`Mold::positions`] are `u32` word addresses, and a jump may target the
/// end of the code. This also bounds the instruction count and
/// [`Lowered::args`], which are at most the word count.
pub const MAX_CODE_WORDS: usize = u32::MAX as usize;

/// A compiled unit of m0ld.
///
/// Register layout of a frame: `0..nfree` are the declared (`my`) and
/// scratch registers, starting undef except for the preloaded ones; then
/// one register per constant, preloaded with `consts[i]` at
/// `nfree + i`.
#[derive(Debug)]
pub struct Mold {
    /// File (or chunk) name for diagnostics and backtraces.
    pub file: Rc<str>,
    /// A name for backtraces: `main`, or `mold@LINE` for nested blocks.
    pub name: Rc<str>,
    /// Constants, preloaded after the free registers.
    pub consts: Vec<Value>,
    /// How many free registers come first.
    pub nfree: u32,
    /// The encoded instruction stream (see [`crate::ops`]).
    pub code: Vec<u32>,
    /// `(pc, position)` for each instruction, sorted by pc.
    pub positions: Vec<(u32, Pos)>,
    /// The declared names of free registers, for disassembly (`None` for
    /// scratch registers).
    pub reg_names: Vec<Option<String>>,
    /// The VM's lowered forms of `code`, built on first use.
    pub lowered: Lowerings,
}

/// The two lowered forms of a Mold, each built on first use: `plain` for
/// any frame, `body` for a `Code` body frame (see [`Mold::body_lowered`]).
#[derive(Debug, Default)]
pub struct Lowerings {
    plain: OnceCell<Lowered>,
    body: OnceCell<Lowered>,
}

/// One instruction in the VM's lowered form: fixed size, jump targets as
/// instruction indexes, argument lists in [`Lowered::args`]. It is derived
/// from the decoded stream ([`Op::decode`]), so the table in `ops.rs`
/// stays the one definition of the instruction set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inst {
    /// `dst = inv.method(args…)` with any number of positional and named arguments.
    Call {
        /// The register that receives the result.
        dst: u32,
        /// The register holding the invocant.
        inv: u32,
        /// The method sent.
        method: Ident,
        /// Where its argument list starts in [`Lowered::args`].
        args: u32,
        /// How many positional arguments it has.
        npos: u16,
        /// How many named arguments it has.
        nnamed: u16,
    },
    /// `dst = inv.method()`: a send without arguments.
    Call0 {
        /// The register that receives the result.
        dst: u32,
        /// The register holding the invocant.
        inv: u32,
        /// The method sent.
        method: Ident,
    },
    /// `op` is `method` as an integer operation (quickened when lowered),
    /// or [`IntOp::None`].
    Call1 {
        /// The register that receives the result.
        dst: u32,
        /// The register holding the invocant.
        inv: u32,
        /// The method sent.
        method: Ident,
        /// The register holding the one argument.
        arg: u32,
        /// `method` as an integer operation, or [`IntOp::None`].
        op: IntOp,
    },
    /// A `Call1` whose next instruction is `If { cond: dst, .. }`: when the
    /// fast integer path applies it also takes the branch; otherwise it acts
    /// as `Call1` and the `If` that follows runs as usual.
    Call1If {
        /// The register that receives the result.
        dst: u32,
        /// The register holding the invocant.
        inv: u32,
        /// The method sent.
        method: Ident,
        /// The register holding the one argument.
        arg: u32,
        /// `method` as an integer operation, or [`IntOp::None`].
        op: IntOp,
        /// The instruction taken when the condition is true.
        then: u32,
        /// The instruction taken when it is false.
        otherwise: u32,
    },
    /// A `Call1` with an integer operation whose argument is an integer
    /// constant, held in the instruction.
    Call1Imm {
        /// The register that receives the result.
        dst: u32,
        /// The register holding the invocant.
        inv: u32,
        /// The method sent.
        method: Ident,
        /// `method` as an integer operation, or [`IntOp::None`].
        op: IntOp,
        /// The integer constant argument.
        imm: i64,
    },
    /// A `Call1If` whose argument is an integer constant.
    Call1IfImm {
        /// The register that receives the result.
        dst: u32,
        /// The register holding the invocant.
        inv: u32,
        /// The method sent.
        method: Ident,
        /// `method` as an integer operation, or [`IntOp::None`].
        op: IntOp,
        /// The integer constant argument.
        imm: i64,
        /// The instruction taken when the condition is true.
        then: u32,
        /// The instruction taken when it is false.
        otherwise: u32,
    },
    /// `dst = src`.
    Move {
        /// The register that receives the result.
        dst: u32,
        /// The register read.
        src: u32,
    },
    /// `dst = src."FETCH"()`: a scalar container's value or an immediate
    /// itself without a send; any other invocant gets the send.
    Fetch {
        /// The register that receives the result.
        dst: u32,
        /// The register read.
        src: u32,
    },
    /// In a Code body whose `$scope` is elided: `dst = $scope."lookup"(name)`
    /// where `name` indexes the Mold's constants, searched from the Code's outer
    /// scope (the elided scope is empty), through the per-site cache
    /// `sites[site]`.
    Lookup {
        /// The register that receives the result.
        dst: u32,
        /// The index of the name among the Mold's constants.
        name: u32,
        /// The index of its cache in [`Lowered::sites`].
        site: u32,
    },
    /// A `Lookup` whose next instruction is `Fetch { dst, src: dst }` (and
    /// no jump lands on that one): `dst` gets the container's value and the
    /// `Fetch` is skipped.
    LookupFetch {
        /// The register that receives the result.
        dst: u32,
        /// The index of the name among the Mold's constants.
        name: u32,
        /// The index of its cache in [`Lowered::sites`].
        site: u32,
    },
    /// In a Code body whose `$capture` is elided:
    /// `dst = $capture."positional"(index)`.
    Arg {
        /// The register that receives the result.
        dst: u32,
        /// The positional argument's index.
        index: u32,
    },
    /// In a Code body whose `$capture` is elided: `dst = $capture."elems"()`.
    ArgCount {
        /// The register that receives the result.
        dst: u32,
    },
    /// Jumps to `target`.
    Goto {
        /// The instruction jumped to.
        target: u32,
    },
    /// Jumps to `then` when `cond` is true, else to `otherwise`.
    If {
        /// The register holding the condition.
        cond: u32,
        /// The instruction taken when the condition is true.
        then: u32,
        /// The instruction taken when it is false.
        otherwise: u32,
    },
    /// Does nothing (the `Noop` of the stream).
    Noop,
}

/// A Mold's lowered instruction stream.
#[derive(Debug, Default)]
pub struct Lowered {
    /// The instructions.
    pub insts: Vec<Inst>,
    /// The word address of each instruction, for positions.
    pub word_pc: Vec<u32>,
    /// Argument lists of `Call`: positional registers, then `(ident, reg)`
    /// pairs.
    pub args: Vec<u32>,
    /// One lookup cache per [`Inst::Lookup`] site.
    pub sites: Vec<LookupCache>,
    /// A Code body frame of this form needs a `$scope` object (it uses
    /// `$scope` for more than lookups of constant names).
    pub needs_scope: bool,
    /// A Code body frame of this form needs a `$capture` object (it uses
    /// `$capture` for more than `positional` with constant indexes and
    /// `elems`).
    pub needs_capture: bool,
    /// A frame's window holds a copy of the constants after the free
    /// registers: some instruction reads a constant register. The body
    /// lowering leaves them out when nothing does.
    pub consts_in_window: bool,
}

/// What one lookup site found last: valid while the scope epoch is the
/// one recorded and the search starts from the same scope.
#[derive(Debug, Default)]
pub struct LookupCache(pub RefCell<Option<CachedLookup>>);

/// A cached lookup result (see [`LookupCache`]).
#[derive(Debug)]
pub struct CachedLookup {
    /// [`crate::prelude::scope::epoch`] when it was found.
    pub epoch: u64,
    /// The scope the search started from. A weak reference keeps the
    /// allocation, so no other scope can reuse its address meanwhile.
    pub from: std::rc::Weak<crate::prelude::scope::ScopeObj>,
    /// The container found (weak: the cache keeps nothing alive).
    pub found: std::rc::Weak<crate::prelude::containers::ScalarObj>,
}

/// Why a Mold failed validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoldError {
    /// The stream does not decode.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A register index is out of range (or a write targets a constant).
    #[error("register r{reg} out of range at {pc} (limit {nregs})")]
    Register {
        /// The register.
        reg: u32,
        /// Where.
        pc: usize,
        /// How many registers there are.
        nregs: u32,
    },
    /// A call has more than [`MAX_CALL_ARGS`] positional or named arguments.
    #[error("too many arguments in the call at {pc}")]
    TooManyArgs {
        /// Where.
        pc: usize,
    },
    /// The Mold has more than [`MAX_REGISTERS`] registers or more than
    /// [`MAX_CODE_WORDS`] code words.
    #[error("mold too large ({registers} registers, {words} code words)")]
    TooLarge {
        /// Free registers plus constants.
        registers: usize,
        /// The length of the code.
        words: usize,
    },
    /// A jump goes somewhere that is not an instruction start.
    #[error("jump to {target} at {pc} is not an instruction boundary")]
    Label {
        /// The target.
        target: u32,
        /// Where.
        pc: usize,
    },
}

impl Mold {
    /// The total register count of a frame.
    pub fn nregs(&self) -> u32 {
        self.nfree + self.consts.len() as u32
    }

    /// Checks that the Mold fits the encoding's limits ([`MAX_REGISTERS`],
    /// [`MAX_CODE_WORDS`], [`MAX_CALL_ARGS`]), every instruction decodes,
    /// every register is in range and every jump lands on an instruction
    /// start (or the end).
    ///
    /// # Errors
    ///
    /// The first problem found.
    pub fn validate(&self) -> Result<(), MoldError> {
        let registers = (self.nfree as usize).saturating_add(self.consts.len());
        if registers > MAX_REGISTERS || self.code.len() > MAX_CODE_WORDS {
            return Err(MoldError::TooLarge {
                registers,
                words: self.code.len(),
            });
        }
        let nregs = self.nregs();
        let mut starts = vec![false; self.code.len() + 1];
        starts[self.code.len()] = true;
        let mut pc = 0;
        let mut labels = Vec::new();
        while pc < self.code.len() {
            starts[pc] = true;
            let (op, next) = Op::decode(&self.code, pc)?;
            let mut bad = None;
            op.registers(&mut |r| {
                if r >= nregs && bad.is_none() {
                    bad = Some(r);
                }
            });
            if let Some(reg) = bad {
                return Err(MoldError::Register { reg, pc, nregs });
            }
            if let Op::Call { pos, named, .. } = op {
                if pos.len() > MAX_CALL_ARGS || named.len() / 2 > MAX_CALL_ARGS {
                    return Err(MoldError::TooManyArgs { pc });
                }
            }
            // Constant registers are read-only: the VM reads them from
            // `consts` and keeps only the free registers per frame.
            if let Op::Call { dst, .. }
            | Op::Call0 { dst, .. }
            | Op::Call1 { dst, .. }
            | Op::Move { dst, .. } = op
            {
                if dst >= self.nfree {
                    return Err(MoldError::Register {
                        reg: dst,
                        pc,
                        nregs: self.nfree,
                    });
                }
            }
            op.labels(&mut |l| labels.push((l, pc)));
            pc = next;
        }
        for (target, pc) in labels {
            if !starts.get(target as usize).copied().unwrap_or(false) {
                return Err(MoldError::Label { target, pc });
            }
        }
        Ok(())
    }

    /// The lowered form the VM runs. A stream that does not decode lowers
    /// to the instructions before the fault (validated Molds always decode).
    pub fn lowered(&self) -> &Lowered {
        self.lowered.plain.get_or_init(|| self.lower())
    }

    /// The body lowering when `body`, else the plain one.
    #[inline]
    pub fn lowering(&self, body: bool) -> &Lowered {
        if body {
            self.body_lowered()
        } else {
            self.lowered()
        }
    }

    /// The constant register `r` holds, if `r` is one.
    fn const_at(&self, r: u32) -> Option<&Value> {
        r.checked_sub(self.nfree)
            .and_then(|i| self.consts.get(i as usize))
    }

    /// The lowered form of a `Code` body frame, whose registers 1 and 2
    /// are preloaded with `$scope` and `$capture`. Where the body uses
    /// `$scope` only to look up constant names, the lookups search the
    /// Code's outer scope directly ([`Inst::Lookup`], cached per site) and
    /// the frame gets no scope object: the fresh scope would stay empty,
    /// since nothing else can reach it. Where it reads `$capture` only with
    /// `positional` at constant indexes and `elems`, the arguments are read
    /// straight from the frame ([`Inst::Arg`], [`Inst::ArgCount`]) and no
    /// capture object is made.
    pub fn body_lowered(&self) -> &Lowered {
        self.lowered.body.get_or_init(|| self.lower_body())
    }

    fn lower_body(&self) -> Lowered {
        let mut out = self.lower();
        const SCOPE: u32 = 1;
        const CAPTURE: u32 = 2;
        let konst = |r: u32| self.const_at(r);
        let mut scope_free = true;
        let mut capture_free = true;
        for inst in &out.insts {
            let (lookup_ok, capture_ok) = match *inst {
                Inst::Call1 {
                    inv, method, arg, ..
                } => (
                    inv == SCOPE
                        && method == names::LOOKUP.get()
                        && matches!(konst(arg), Some(Value::Str(_))),
                    inv == CAPTURE
                        && method == names::POSITIONAL.get()
                        && matches!(konst(arg), Some(Value::Int(i)) if *i >= 0 && *i <= i64::from(u32::MAX)),
                ),
                Inst::Call0 { inv, method, .. } => {
                    (false, inv == CAPTURE && method == Ident::ELEMS)
                }
                _ => (false, false),
            };
            let mut uses = |r: u32| {
                if r == SCOPE && !lookup_ok {
                    scope_free = false;
                }
                if r == CAPTURE && !capture_ok {
                    capture_free = false;
                }
            };
            inst_registers(inst, &out.args, &mut uses);
        }
        out.needs_scope = self.nfree > SCOPE && !scope_free;
        out.needs_capture = self.nfree > CAPTURE && !capture_free;
        let elide_scope = self.nfree > SCOPE && scope_free;
        let elide_capture = self.nfree > CAPTURE && capture_free;
        for i in 0..out.insts.len() {
            out.insts[i] = match out.insts[i] {
                Inst::Call1 {
                    dst,
                    inv: SCOPE,
                    arg,
                    ..
                } if elide_scope => {
                    out.sites.push(LookupCache::default());
                    Inst::Lookup {
                        dst,
                        name: arg - self.nfree,
                        site: out.sites.len() as u32 - 1,
                    }
                }
                Inst::Call1 {
                    dst,
                    inv: CAPTURE,
                    arg,
                    ..
                } if elide_capture => match konst(arg) {
                    Some(Value::Int(i)) => Inst::Arg {
                        dst,
                        index: *i as u32,
                    },
                    _ => out.insts[i],
                },
                Inst::Call0 {
                    dst, inv: CAPTURE, ..
                } if elide_capture => Inst::ArgCount { dst },
                other => other,
            };
        }
        let nfree = self.nfree;
        let mut reads_const = false;
        for inst in &out.insts {
            inst_registers(inst, &out.args, &mut |r| reads_const |= r >= nfree);
        }
        out.consts_in_window = reads_const;
        // Fuse a lookup with the FETCH of its container.
        let mut targets = vec![false; out.insts.len() + 1];
        for inst in &out.insts {
            let mut mark = |t: u32| {
                if let Some(slot) = targets.get_mut(t as usize) {
                    *slot = true;
                }
            };
            match *inst {
                Inst::Goto { target } => mark(target),
                Inst::If {
                    then, otherwise, ..
                }
                | Inst::Call1If {
                    then, otherwise, ..
                } => {
                    mark(then);
                    mark(otherwise);
                }
                _ => {}
            }
        }
        let n = out.insts.len();
        for (i, &jumped_to) in targets.iter().enumerate().take(n).skip(1) {
            if let (Inst::Lookup { dst, name, site }, Inst::Fetch { dst: d2, src }) =
                (out.insts[i - 1], out.insts[i])
            {
                if d2 == dst && src == dst && !jumped_to {
                    out.insts[i - 1] = Inst::LookupFetch { dst, name, site };
                }
            }
        }
        out
    }

    fn lower(&self) -> Lowered {
        let mut index_of = vec![u32::MAX; self.code.len() + 1];
        let mut decoded = Vec::new();
        let mut pc = 0;
        while pc < self.code.len() {
            let Ok((op, next)) = Op::decode(&self.code, pc) else {
                break;
            };
            index_of[pc] = decoded.len() as u32;
            decoded.push((pc, op));
            pc = next;
        }
        let end = decoded.len() as u32;
        index_of[self.code.len()] = end;
        let target = |l: u32| {
            index_of
                .get(l as usize)
                .copied()
                .filter(|&i| i != u32::MAX)
                .unwrap_or(end)
        };
        let mut out = Lowered::default();
        for (pc, op) in decoded {
            out.word_pc.push(pc as u32);
            out.insts.push(match op {
                Op::Call {
                    dst,
                    inv,
                    method,
                    pos,
                    named,
                } => {
                    let args = out.args.len() as u32;
                    out.args.extend_from_slice(pos);
                    out.args.extend_from_slice(named);
                    Inst::Call {
                        dst,
                        inv,
                        method,
                        args,
                        npos: pos.len() as u16,
                        nnamed: (named.len() / 2) as u16,
                    }
                }
                Op::Call0 {
                    dst,
                    inv,
                    method: Ident::FETCH,
                } => Inst::Fetch { dst, src: inv },
                Op::Call0 { dst, inv, method } => Inst::Call0 { dst, inv, method },
                Op::Call1 {
                    dst,
                    inv,
                    method,
                    arg,
                } => Inst::Call1 {
                    dst,
                    inv,
                    method,
                    arg,
                    op: IntOp::of(method),
                },
                Op::Move { dst, src } => Inst::Move { dst, src },
                Op::Goto { target: t } => Inst::Goto { target: target(t) },
                Op::If {
                    cond,
                    then,
                    otherwise,
                } => Inst::If {
                    cond,
                    then: target(then),
                    otherwise: target(otherwise),
                },
                Op::Noop {} => Inst::Noop,
            });
        }
        // Fuse a comparison with the branch that tests its result.
        for i in 1..out.insts.len() {
            if let (
                Inst::Call1 {
                    dst,
                    inv,
                    method,
                    arg,
                    op,
                },
                Inst::If {
                    cond,
                    then,
                    otherwise,
                },
            ) = (out.insts[i - 1], out.insts[i])
            {
                if cond == dst {
                    out.insts[i - 1] = Inst::Call1If {
                        dst,
                        inv,
                        method,
                        arg,
                        op,
                        then,
                        otherwise,
                    };
                }
            }
        }
        // An integer operation on an integer constant holds it.
        let int_const = |r: u32| match self.const_at(r) {
            Some(Value::Int(k)) => Some(*k),
            _ => None,
        };
        for inst in &mut out.insts {
            *inst = match *inst {
                Inst::Call1 {
                    dst,
                    inv,
                    method,
                    arg,
                    op,
                } if op != IntOp::None => match int_const(arg) {
                    Some(imm) => Inst::Call1Imm {
                        dst,
                        inv,
                        method,
                        op,
                        imm,
                    },
                    None => *inst,
                },
                Inst::Call1If {
                    dst,
                    inv,
                    method,
                    arg,
                    op,
                    then,
                    otherwise,
                } if op != IntOp::None => match int_const(arg) {
                    Some(imm) => Inst::Call1IfImm {
                        dst,
                        inv,
                        method,
                        op,
                        imm,
                        then,
                        otherwise,
                    },
                    None => *inst,
                },
                other => other,
            };
        }
        out.consts_in_window = true;
        out
    }

    /// The source position of the instruction at `pc`.
    pub fn pos_at(&self, pc: usize) -> Pos {
        let pc = pc as u32;
        match self.positions.binary_search_by_key(&pc, |(p, _)| *p) {
            Ok(i) => self.positions[i].1,
            Err(0) => self.positions.first().map(|p| p.1).unwrap_or_default(),
            Err(i) => self.positions[i - 1].1,
        }
    }

    /// Renders the Mold and its nested molds for `polyeval disasm`.
    pub fn disassemble(&self) -> String {
        let mut out = String::new();
        self.disassemble_into(&mut out);
        out
    }

    fn disassemble_into(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "mold {} ({}): {} free registers, {} constants, {} words",
            self.name,
            self.file,
            self.nfree,
            self.consts.len(),
            self.code.len()
        );
        for (i, n) in self.reg_names.iter().enumerate() {
            if let Some(n) = n {
                let _ = writeln!(out, "  r{i} = {n}");
            }
        }
        for (i, c) in self.consts.iter().enumerate() {
            let r = self.nfree as usize + i;
            match c.downcast::<MoldObject>() {
                Some(m) => {
                    let _ = writeln!(out, "  r{r} = const {}", m.0.name);
                }
                None => {
                    let _ = writeln!(out, "  r{r} = const {c:?}");
                }
            }
        }
        match disasm_all(&self.code) {
            Ok(text) => out.push_str(&text),
            Err(e) => {
                let _ = writeln!(out, "  <{e}>");
            }
        }
        for c in &self.consts {
            if let Some(m) = c.downcast::<MoldObject>() {
                out.push('\n');
                m.0.disassemble_into(out);
            }
        }
    }
}

/// Calls `f` with every register `inst` reads or writes.
fn inst_registers(inst: &Inst, args: &[u32], f: &mut dyn FnMut(u32)) {
    match *inst {
        Inst::Call {
            dst,
            inv,
            args: a,
            npos,
            nnamed,
            ..
        } => {
            f(dst);
            f(inv);
            let start = a as usize;
            let end = start + usize::from(npos) + 2 * usize::from(nnamed);
            let list = args.get(start..end).unwrap_or(&[]);
            let (pos, named) = list.split_at(usize::from(npos).min(list.len()));
            pos.iter().for_each(|&r| f(r));
            named.chunks_exact(2).for_each(|p| f(p[1]));
        }
        Inst::Call0 { dst, inv, .. } | Inst::Fetch { dst, src: inv } => {
            f(dst);
            f(inv);
        }
        Inst::Call1 { dst, inv, arg, .. } | Inst::Call1If { dst, inv, arg, .. } => {
            f(dst);
            f(inv);
            f(arg);
        }
        Inst::Call1Imm { dst, inv, .. } | Inst::Call1IfImm { dst, inv, .. } => {
            f(dst);
            f(inv);
        }
        // The name is a constant index, read from the Mold, not a register.
        Inst::Lookup { dst, .. } | Inst::LookupFetch { dst, .. } => f(dst),
        Inst::Arg { dst, .. } | Inst::ArgCount { dst } => f(dst),
        Inst::Move { dst, src } => {
            f(dst);
            f(src);
        }
        Inst::If { cond, .. } => f(cond),
        Inst::Goto { .. } | Inst::Noop => {}
    }
}

/// A compiled Mold as a value (what `mold { ... }` evaluates to).
pub struct MoldObject(pub Rc<Mold>);

impl MoldObject {
    /// A Mold value.
    pub fn value(m: Rc<Mold>) -> Value {
        Value::obj(MoldObject(m))
    }
}

impl Object for MoldObject {
    fn type_name(&self) -> &'static str {
        "Mold"
    }

    fn send(&self, _rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
        match method {
            Ident::STR => Ok(Reply::Value(Value::str(format!("Mold({})", self.0.name)))),
            _ => answer_plain("Mold", method, cap),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asm::compile;

    #[test]
    fn lowering_agrees_with_the_decoder() {
        let src = "my $a; my $b = 1; top: $a = $b.\"infix:+\"(2); $a.\"m\"(); \
                   $a.\"n\"($b, 3, :\"k\"($b)); if $a { goto top } else { goto end }; end: noop;";
        let m = compile(src, "t.m0ld").expect("compiles");
        let low = m.lowered();
        let mut pc = 0;
        let mut starts = Vec::new();
        while pc < m.code.len() {
            starts.push(pc as u32);
            pc = Op::decode(&m.code, pc).expect("decodes").1;
        }
        assert_eq!(low.word_pc, starts);
        assert_eq!(low.insts.len(), starts.len());
        for (i, inst) in low.insts.iter().enumerate() {
            let (op, _) = Op::decode(&m.code, starts[i] as usize).expect("decodes");
            match (op, *inst) {
                (Op::Goto { target }, Inst::Goto { target: t }) => {
                    assert_eq!(
                        starts
                            .get(t as usize)
                            .copied()
                            .unwrap_or(m.code.len() as u32),
                        target
                    )
                }
                (
                    Op::If {
                        then, otherwise, ..
                    },
                    Inst::If {
                        then: t,
                        otherwise: o,
                        ..
                    },
                ) => {
                    assert_eq!(starts[t as usize], then);
                    assert_eq!(
                        starts
                            .get(o as usize)
                            .copied()
                            .unwrap_or(m.code.len() as u32),
                        otherwise
                    );
                }
                (
                    Op::Call { pos, named, .. },
                    Inst::Call {
                        args, npos, nnamed, ..
                    },
                ) => {
                    let a = args as usize;
                    assert_eq!(&low.args[a..a + npos as usize], pos);
                    assert_eq!(
                        &low.args[a + npos as usize..a + npos as usize + 2 * nnamed as usize],
                        named
                    );
                }
                (Op::Call0 { .. }, Inst::Call0 { .. } | Inst::Fetch { .. })
                | (
                    Op::Call1 { .. },
                    Inst::Call1 { .. }
                    | Inst::Call1If { .. }
                    | Inst::Call1Imm { .. }
                    | Inst::Call1IfImm { .. },
                )
                | (Op::Move { .. }, Inst::Move { .. })
                | (Op::Noop {}, Inst::Noop) => {}
                (op, inst) => panic!("{op:?} lowered to {inst:?}"),
            }
        }
    }

    /// The body of the first `mold { ... }` constant of `src`.
    fn body_of(src: &str) -> Rc<Mold> {
        let m = compile(src, "t.m0ld").expect("compiles");
        m.consts
            .iter()
            .find_map(|c| c.downcast::<MoldObject>().map(|m| m.0.clone()))
            .expect("a nested mold")
    }

    #[test]
    fn body_lowering_elides_scope_and_capture_only_when_nothing_else_sees_them() {
        let simple = body_of(
            "my $b = mold { my $interpreter; my $scope; my $capture; \
             my $n = $capture.\"positional\"(0); my $c = $capture.\"elems\"(); \
             my $f = $scope.\"lookup\"(\"&f\"); $f = $f.\"FETCH\"(); };",
        );
        let low = simple.body_lowered();
        assert!(!low.needs_scope && !low.needs_capture);
        assert!(matches!(low.insts[0], Inst::Arg { index: 0, .. }));
        assert!(matches!(low.insts[1], Inst::ArgCount { .. }));
        assert!(matches!(low.insts[2], Inst::LookupFetch { .. }));
        assert_eq!(low.sites.len(), 1);
        // The plain lowering of the same Mold keeps the sends.
        assert!(matches!(simple.lowered().insts[0], Inst::Call1 { .. }));

        let passes_scope = body_of(
            "my $b = mold { my $interpreter; my $scope; my $capture; \
             my $s = $scope; my $n = $capture.\"named\"(\"k\"); };",
        );
        let low = passes_scope.body_lowered();
        assert!(low.needs_scope && low.needs_capture);
        assert!(low.sites.is_empty());

        let computed_index = body_of(
            "my $b = mold { my $interpreter; my $scope; my $capture; \
             my $i = 0; my $n = $capture.\"positional\"($i); };",
        );
        assert!(computed_index.body_lowered().needs_capture);
    }

    #[test]
    fn calls_past_the_lowered_argument_counts_are_rejected() {
        let pos = vec![0; MAX_CALL_ARGS + 1];
        let mut code = Vec::new();
        Op::Call {
            dst: 0,
            inv: 0,
            method: names::SAY.get(),
            pos: &pos,
            named: &[],
        }
        .encode(&mut code);
        let m = Mold {
            file: Rc::from("t"),
            name: Rc::from("main"),
            consts: Vec::new(),
            nfree: 1,
            code,
            positions: Vec::new(),
            reg_names: Vec::new(),
            lowered: Lowerings::default(),
        };
        assert_eq!(m.validate(), Err(MoldError::TooManyArgs { pc: 0 }));
    }

    #[test]
    fn writes_to_constant_registers_are_rejected() {
        let mut code = Vec::new();
        Op::Move { dst: 1, src: 0 }.encode(&mut code);
        let m = Mold {
            file: Rc::from("t"),
            name: Rc::from("main"),
            consts: vec![Value::Int(1)],
            nfree: 1,
            code,
            positions: Vec::new(),
            reg_names: Vec::new(),
            lowered: Lowerings::default(),
        };
        assert!(matches!(
            m.validate(),
            Err(MoldError::Register { reg: 1, .. })
        ));
    }
}
