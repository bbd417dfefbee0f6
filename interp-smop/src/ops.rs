//! The Mold instruction set, defined once in [`crate::for_each_op!`]. The encoder,
//! the decoder and the disassembler are all derived from that one table.
//!
//! An encoded instruction is a sequence of `u32` words: the opcode, then
//! each operand in table order. Operand kinds:
//! - `reg`: a register index;
//! - `ident`: an interned [`Ident`]'s index;
//! - `label`: an instruction address (word offset);
//! - `regs`: a count, then that many register indexes;
//! - `pairs`: a count, then that many `(ident, reg)` word pairs.

use std::fmt::Write;

use polyeval_core::Ident;

/// Calls `$m!` with the instruction table: `Name = opcode { field: kind, ... };`.
#[macro_export]
macro_rules! for_each_op {
    ($m:ident) => {
        $m! {
            /// `dst = inv."method"(pos..., :name(value)...)`; a pending
            /// answer suspends the frame until `setr` fills `dst`.
            Call = 1 { dst: reg, inv: reg, method: ident, pos: regs, named: pairs };
            /// `dst = inv."method"()`: a call without arguments.
            Call0 = 6 { dst: reg, inv: reg, method: ident };
            /// `dst = inv."method"(arg)`: a call with one positional
            /// argument; arithmetic on two numbers runs without a send.
            Call1 = 7 { dst: reg, inv: reg, method: ident, arg: reg };
            /// `dst = src`.
            Move = 2 { dst: reg, src: reg };
            /// Jumps to `target`.
            Goto = 3 { target: label };
            /// Jumps to `then` if `cond` is true (not false/undef), else to `otherwise`.
            If = 4 { cond: reg, then: label, otherwise: label };
            /// Does nothing.
            Noop = 5 {};
        }
    };
}

/// Why a word stream failed to decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The opcode word is not in the table.
    #[error("bad opcode {opcode} at {pc}")]
    BadOpcode {
        /// The word found.
        opcode: u32,
        /// Where.
        pc: usize,
    },
    /// The stream ended inside an instruction.
    #[error("truncated instruction at {pc}")]
    Truncated {
        /// Where the instruction started.
        pc: usize,
    },
}

macro_rules! operand_type {
    (reg) => { u32 };
    (ident) => { Ident };
    (label) => { u32 };
    (regs) => { &'a [u32] };
    (pairs) => { &'a [u32] };
}

macro_rules! encode_operand {
    ($out:ident, reg, $v:expr) => {
        $out.push(*$v)
    };
    ($out:ident, label, $v:expr) => {
        $out.push(*$v)
    };
    ($out:ident, ident, $v:expr) => {
        $out.push($v.index())
    };
    ($out:ident, regs, $v:expr) => {{
        $out.push($v.len() as u32);
        $out.extend_from_slice($v);
    }};
    ($out:ident, pairs, $v:expr) => {{
        $out.push(($v.len() / 2) as u32);
        $out.extend_from_slice($v);
    }};
}

macro_rules! decode_operand {
    ($code:ident, $at:ident, $start:ident, reg) => {{
        let w = *$code
            .get($at)
            .ok_or(DecodeError::Truncated { pc: $start })?;
        $at += 1;
        w
    }};
    ($code:ident, $at:ident, $start:ident, label) => {
        decode_operand!($code, $at, $start, reg)
    };
    ($code:ident, $at:ident, $start:ident, ident) => {{
        Ident::from_raw(decode_operand!($code, $at, $start, reg))
    }};
    ($code:ident, $at:ident, $start:ident, regs) => {{
        let n = decode_operand!($code, $at, $start, reg) as usize;
        let s = $code
            .get($at..$at + n)
            .ok_or(DecodeError::Truncated { pc: $start })?;
        $at += n;
        s
    }};
    ($code:ident, $at:ident, $start:ident, pairs) => {{
        let n = decode_operand!($code, $at, $start, reg) as usize * 2;
        let s = $code
            .get($at..$at + n)
            .ok_or(DecodeError::Truncated { pc: $start })?;
        $at += n;
        s
    }};
}

macro_rules! disasm_operand {
    ($out:ident, reg, $v:expr) => {
        let _ = write!($out, "r{}", $v);
    };
    ($out:ident, label, $v:expr) => {
        let _ = write!($out, "@{}", $v);
    };
    ($out:ident, ident, $v:expr) => {
        let _ = write!($out, "{:?}", $v.name());
    };
    ($out:ident, regs, $v:expr) => {{
        $out.push('(');
        for (i, r) in $v.iter().enumerate() {
            if i > 0 {
                $out.push_str(", ");
            }
            let _ = write!($out, "r{r}");
        }
        $out.push(')');
    }};
    ($out:ident, pairs, $v:expr) => {{
        $out.push('(');
        for (i, p) in $v.chunks(2).enumerate() {
            if i > 0 {
                $out.push_str(", ");
            }
            let name = ident_from_index(p[0]).map(|i| i.name()).unwrap_or("?");
            let _ = write!($out, ":{:?}(r{})", name, p[1]);
        }
        $out.push(')');
    }};
}

macro_rules! define_ops {
    ($( $(#[$doc:meta])* $name:ident = $code:literal { $($field:ident : $kind:ident),* } ;)*) => {
        /// One decoded instruction. List operands borrow the word stream.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Op<'a> {
            $( $(#[$doc])* $name { $( #[doc = concat!("The `", stringify!($field), "` operand, a ", stringify!($kind), ".")] $field: operand_type!($kind) ),* }, )*
        }

        /// The opcode numbers, one per instruction.
        pub mod opcode {
            $( #[allow(non_upper_case_globals)] #[doc = concat!("The opcode of [`Op::", stringify!($name), "`](super::Op::", stringify!($name), ").")] pub const $name: u32 = $code; )*
        }

        impl<'a> Op<'a> {
            /// The instruction's mnemonic.
            pub fn mnemonic(&self) -> &'static str {
                match self { $( Op::$name { .. } => stringify!($name), )* }
            }

            /// Appends the encoded instruction to `out`.
            pub fn encode(&self, out: &mut Vec<u32>) {
                match self {
                    $( Op::$name { $($field),* } => {
                        out.push($code);
                        $( encode_operand!(out, $kind, $field); )*
                    } )*
                }
            }

            /// Decodes the instruction at `pc`, returning it and the address
            /// of the next one.
            ///
            /// # Errors
            ///
            /// A [`DecodeError`] for an unknown opcode or a truncated operand.
            #[inline(always)]
            pub fn decode(code: &'a [u32], pc: usize) -> Result<(Op<'a>, usize), DecodeError> {
                let start = pc;
                let opcode = *code.get(pc).ok_or(DecodeError::Truncated { pc })?;
                #[allow(unused_mut)]
                let mut at = pc + 1;
                match opcode {
                    $( $code => {
                        $( let $field = decode_operand!(code, at, start, $kind); )*
                        Ok((Op::$name { $($field),* }, at))
                    } )*
                    _ => Err(DecodeError::BadOpcode { opcode, pc }),
                }
            }

            /// Renders the instruction as one line of disassembly.
            pub fn disasm(&self) -> String {
                let mut out = String::new();
                match self {
                    $( Op::$name { $($field),* } => {
                        out.push_str(&stringify!($name).to_ascii_lowercase());
                        #[allow(unused_mut)]
                        let mut parts: Vec<String> = Vec::new();
                        $(
                            let mut part = format!("{}=", stringify!($field));
                            disasm_operand!(part, $kind, $field);
                            parts.push(part);
                        )*
                        if !parts.is_empty() {
                            out.push(' ');
                            out.push_str(&parts.join(", "));
                        }
                    } )*
                }
                out
            }

            /// The registers this instruction reads or writes, for checks.
            pub fn registers(&self, f: &mut dyn FnMut(u32)) {
                match self {
                    $( Op::$name { $($field),* } => {
                        $( visit_regs!(f, $kind, $field); )*
                    } )*
                }
            }

            /// The labels this instruction may jump to, for checks.
            pub fn labels(&self, f: &mut dyn FnMut(u32)) {
                match self {
                    $( Op::$name { $($field),* } => {
                        $( visit_labels!(f, $kind, $field); )*
                    } )*
                }
            }
        }
    };
}

macro_rules! visit_regs {
    ($f:ident, reg, $v:expr) => {
        $f(*$v)
    };
    ($f:ident, regs, $v:expr) => {
        for r in $v.iter() {
            $f(*r)
        }
    };
    ($f:ident, pairs, $v:expr) => {
        for p in $v.chunks(2) {
            $f(p[1])
        }
    };
    ($f:ident, $other:ident, $v:expr) => {
        let _ = $v;
    };
}

macro_rules! visit_labels {
    ($f:ident, label, $v:expr) => {
        $f(*$v)
    };
    ($f:ident, $other:ident, $v:expr) => {
        let _ = $v;
    };
}

fn ident_from_index(i: u32) -> Option<Ident> {
    Ident::from_index(i)
}

for_each_op!(define_ops);

/// Disassembles a whole word stream, one instruction a line, each prefixed
/// with its address. The encoder, the decoder and this disassembler are
/// all derived from the one instruction table, so they agree:
///
/// ```
/// use polyeval_smop::ops::{disasm_all, Op};
///
/// let mut code = Vec::new();
/// Op::Move { dst: 1, src: 0 }.encode(&mut code);
/// Op::If { cond: 1, then: 0, otherwise: 3 }.encode(&mut code);
/// let (op, next) = Op::decode(&code, 0).unwrap();
/// assert_eq!(op, Op::Move { dst: 1, src: 0 });
/// assert_eq!(Op::decode(&code, next).unwrap().0.mnemonic(), "If");
/// let text = disasm_all(&code).unwrap();
/// assert_eq!(text.lines().count(), 2);
/// assert!(text.lines().next().unwrap().contains("move"), "{text}");
/// // A stream cut inside an instruction is an error, not a panic.
/// assert!(disasm_all(&code[..code.len() - 1]).is_err());
/// ```
///
/// # Errors
///
/// The first [`DecodeError`].
pub fn disasm_all(code: &[u32]) -> Result<String, DecodeError> {
    let mut out = String::new();
    let mut pc = 0;
    while pc < code.len() {
        let (op, next) = Op::decode(code, pc)?;
        let _ = writeln!(out, "{pc:5}  {}", op.disasm());
        pc = next;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names;

    fn sample() -> Vec<Op<'static>> {
        static POS: [u32; 3] = [4, 5, 6];
        static NAMED: [u32; 2] = [0, 7];
        vec![
            Op::Call {
                dst: 3,
                inv: 0,
                method: names::PRINT.get(),
                pos: &POS,
                named: &[],
            },
            Op::Call {
                dst: 3,
                inv: 1,
                method: names::LOOKUP.get(),
                pos: &[],
                named: &NAMED,
            },
            Op::Move { dst: 1, src: 2 },
            Op::Goto { target: 0 },
            Op::If {
                cond: 3,
                then: 0,
                otherwise: 11,
            },
            Op::Noop {},
        ]
    }

    #[test]
    fn encode_decode_round_trip() {
        let ops = sample();
        let mut code = Vec::new();
        for op in &ops {
            op.encode(&mut code);
        }
        let mut pc = 0;
        let mut back = Vec::new();
        while pc < code.len() {
            let (op, next) = Op::decode(&code, pc).expect("decodes");
            back.push(op);
            pc = next;
        }
        assert_eq!(back, ops);
        let text = disasm_all(&code).expect("disassembles");
        assert_eq!(text.lines().count(), ops.len());
        assert!(
            text.contains("call dst=r3, inv=r0, method=\"print\", pos=(r4, r5, r6), named=()"),
            "{text}"
        );
    }

    #[test]
    fn truncated_and_bad_streams_are_errors() {
        let mut code = Vec::new();
        Op::Call {
            dst: 1,
            inv: 2,
            method: names::SAY.get(),
            pos: &[1, 2],
            named: &[],
        }
        .encode(&mut code);
        for cut in 0..code.len() {
            assert!(Op::decode(&code[..cut], 0).is_err(), "cut at {cut}");
        }
        assert_eq!(
            Op::decode(&[99], 0),
            Err(DecodeError::BadOpcode { opcode: 99, pc: 0 })
        );
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    /// An owned instruction, to generate and then borrow as an `Op`.
    #[derive(Debug, Clone)]
    enum Owned {
        Call(u32, u32, u32, Vec<u32>, Vec<u32>),
        Call0(u32, u32, u32),
        Call1(u32, u32, u32, u32),
        Move(u32, u32),
        Goto(u32),
        If(u32, u32, u32),
        Noop,
    }

    impl Owned {
        fn op(&self) -> Op<'_> {
            match self {
                Owned::Call(d, i, m, p, n) => Op::Call {
                    dst: *d,
                    inv: *i,
                    method: Ident::from_raw(*m),
                    pos: p,
                    named: n,
                },
                Owned::Call0(d, i, m) => Op::Call0 {
                    dst: *d,
                    inv: *i,
                    method: Ident::from_raw(*m),
                },
                Owned::Call1(d, i, m, a) => Op::Call1 {
                    dst: *d,
                    inv: *i,
                    method: Ident::from_raw(*m),
                    arg: *a,
                },
                Owned::Move(d, s) => Op::Move { dst: *d, src: *s },
                Owned::Goto(t) => Op::Goto { target: *t },
                Owned::If(c, t, o) => Op::If {
                    cond: *c,
                    then: *t,
                    otherwise: *o,
                },
                Owned::Noop => Op::Noop {},
            }
        }
    }

    fn owned() -> impl Strategy<Value = Owned> {
        let r = 0u32..1000;
        prop_oneof![
            (
                r.clone(),
                r.clone(),
                0u32..40,
                prop::collection::vec(r.clone(), 0..6),
                prop::collection::vec((0u32..40, r.clone()), 0..4)
            )
                .prop_map(|(d, i, m, p, n)| Owned::Call(
                    d,
                    i,
                    m,
                    p,
                    n.into_iter().flat_map(|(a, b)| [a, b]).collect()
                )),
            (r.clone(), r.clone(), 0u32..40).prop_map(|(d, i, m)| Owned::Call0(d, i, m)),
            (r.clone(), r.clone(), 0u32..40, r.clone())
                .prop_map(|(d, i, m, a)| Owned::Call1(d, i, m, a)),
            (r.clone(), r.clone()).prop_map(|(d, s)| Owned::Move(d, s)),
            r.clone().prop_map(Owned::Goto),
            (r.clone(), r.clone(), r).prop_map(|(c, t, o)| Owned::If(c, t, o)),
            Just(Owned::Noop),
        ]
    }

    proptest! {
        /// Encoding then decoding gives back every instruction, and the
        /// disassembler renders one line per instruction.
        #[test]
        fn encode_decode_disasm_agree(ops in prop::collection::vec(owned(), 0..40)) {
            let mut code = Vec::new();
            for o in &ops {
                o.op().encode(&mut code);
            }
            let mut pc = 0;
            let mut back = Vec::new();
            while pc < code.len() {
                let (op, next) = Op::decode(&code, pc).expect("decodes");
                back.push(op);
                pc = next;
            }
            let want: Vec<Op<'_>> = ops.iter().map(Owned::op).collect();
            prop_assert_eq!(back, want);
            let text = disasm_all(&code).expect("disassembles");
            prop_assert_eq!(text.lines().count(), ops.len());
        }

        /// Decoding arbitrary words never panics.
        #[test]
        fn decoding_garbage_is_an_error_not_a_panic(words in prop::collection::vec(any::<u32>(), 0..30)) {
            let mut pc = 0;
            while pc < words.len() {
                match Op::decode(&words, pc) {
                    Ok((_, next)) => pc = next,
                    Err(_) => break,
                }
            }
        }
    }
}
