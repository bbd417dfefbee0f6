//! Methods of immediate values (nil, booleans, integers, floats and
//! strings): the value semantics every interpreter shares when it sends a
//! method to an immediate (the loop's default immediate responder,
//! [`respond`]), plus the arithmetic fast path a VM may inline.
//!
//! Arithmetic and comparison follow Lua 5.4, so both sides of the bridge
//! agree: integer arithmetic wraps, `/` always gives a float, `%` floors,
//! numeric strings convert. Rendering (`Str`) is Lua's `tostring`.

use std::cmp::Ordering;

use crate::error::{ErrorKind, ScriptError};
use crate::runloop::Cx;
use crate::values::capture::Capture;
use crate::values::ident::Ident;
use crate::values::memory;
use crate::values::object::Reply;
use crate::values::value::Value;

/// A number after Lua's string-to-number conversion.
#[derive(Clone, Copy, Debug)]
enum Num {
    I(i64),
    F(f64),
}

/// Parses a string as Lua's `tonumber` does (decimal and hex integers,
/// decimal floats, surrounding spaces allowed).
pub fn parse_number(bytes: &[u8]) -> Option<Value> {
    let s = std::str::from_utf8(bytes).ok()?.trim();
    if s.is_empty() {
        return None;
    }
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        let mut v: i64 = 0;
        if hex.is_empty() {
            return None;
        }
        for c in hex.chars() {
            v = v.wrapping_mul(16).wrapping_add(i64::from(c.to_digit(16)?));
        }
        return Some(Value::Int(if neg { v.wrapping_neg() } else { v }));
    }
    if body.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = s.parse::<i64>() {
            return Some(Value::Int(i));
        }
    }
    let lower = body.to_ascii_lowercase();
    if lower.contains("inf") || lower.contains("nan") {
        return None;
    }
    s.parse::<f64>().ok().map(Value::Float)
}

fn to_num(v: &Value) -> Option<Num> {
    match v {
        Value::Int(i) => Some(Num::I(*i)),
        Value::Float(f) => Some(Num::F(*f)),
        Value::Str(s) => match parse_number(s)? {
            Value::Int(i) => Some(Num::I(i)),
            Value::Float(f) => Some(Num::F(f)),
            _ => None,
        },
        _ => None,
    }
}

fn as_f(n: Num) -> f64 {
    match n {
        Num::I(i) => i as f64,
        Num::F(f) => f,
    }
}

#[cold]
fn arith_error(rt: &Cx, what: &Value) -> ScriptError {
    ScriptError::wrong_type("an arithmetic operand", "a number", rt.type_name(what))
}

fn lua_fmod(a: f64, b: f64) -> f64 {
    let m = a % b;
    if m != 0.0 && (m < 0.0) != (b < 0.0) {
        m + b
    } else {
        m
    }
}

/// Integer and float arithmetic with Lua's rules.
///
/// # Errors
///
/// A wrong-type error for a non-numeric operand, a runtime error for an
/// integer modulo by zero.
pub fn arith(rt: &Cx, method: Ident, a: &Value, b: &Value) -> Result<Value, ScriptError> {
    let x = to_num(a).ok_or_else(|| arith_error(rt, a))?;
    let y = to_num(b).ok_or_else(|| arith_error(rt, b))?;
    Ok(match (x, y, method) {
        (_, _, Ident::DIV) => Value::Float(as_f(x) / as_f(y)),
        (Num::I(i), Num::I(j), Ident::ADD) => Value::Int(i.wrapping_add(j)),
        (Num::I(i), Num::I(j), Ident::SUB) => Value::Int(i.wrapping_sub(j)),
        (Num::I(i), Num::I(j), Ident::MUL) => Value::Int(i.wrapping_mul(j)),
        (Num::I(i), Num::I(j), Ident::MOD) => {
            if j == 0 {
                return Err(ScriptError::runtime("attempt to perform 'n%%0'"));
            }
            let m = i.wrapping_rem(j);
            Value::Int(if m != 0 && (m ^ j) < 0 { m + j } else { m })
        }
        (_, _, Ident::ADD) => Value::Float(as_f(x) + as_f(y)),
        (_, _, Ident::SUB) => Value::Float(as_f(x) - as_f(y)),
        (_, _, Ident::MUL) => Value::Float(as_f(x) * as_f(y)),
        (_, _, Ident::MOD) => Value::Float(lua_fmod(as_f(x), as_f(y))),
        _ => {
            return Err(ScriptError::runtime(format!(
                "not an arithmetic operator: {method}"
            )))
        }
    })
}

fn num_cmp(x: Num, y: Num) -> Option<Ordering> {
    match (x, y) {
        (Num::I(i), Num::I(j)) => Some(i.cmp(&j)),
        (Num::I(i), Num::F(f)) => cmp_int_float(i, f),
        (Num::F(f), Num::I(i)) => cmp_int_float(i, f).map(Ordering::reverse),
        (Num::F(a), Num::F(b)) => a.partial_cmp(&b),
    }
}

fn cmp_int_float(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if crate::values::value::int_float_eq(i, f) {
        return Some(Ordering::Equal);
    }
    (i as f64).partial_cmp(&f).map(|o| {
        if o == Ordering::Equal {
            // Rounding made them look equal; the float is integral and larger
            // or smaller than i by less than one ulp of i.
            if (f as i128) > i128::from(i) {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        } else {
            o
        }
    })
}

/// Comparison with Lua's rules: numbers numerically, strings bytewise,
/// `==`/`!=` false/true across other type pairs.
///
/// # Errors
///
/// A wrong-type error when ordering values of different kinds.
pub fn compare(rt: &Cx, method: Ident, a: &Value, b: &Value) -> Result<Value, ScriptError> {
    let eq = |r: bool| Ok(Value::Bool(if method == Ident::NE { !r } else { r }));
    if method == Ident::EQ || method == Ident::NE {
        return eq(a.raw_eq(b));
    }
    let ord = match (a, b) {
        (Value::Str(x), Value::Str(y)) => Some(x.as_ref().cmp(y.as_ref())),
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => num_cmp(
            to_num(a).unwrap_or(Num::I(0)),
            to_num(b).unwrap_or(Num::I(0)),
        ),
        _ => {
            return Err(ScriptError::new(
                ErrorKind::WrongType,
                format!(
                    "wrong type: attempt to compare {} with {}",
                    rt.type_name(a),
                    rt.type_name(b)
                ),
            ))
        }
    };
    let r = match (ord, method) {
        (None, _) => false,
        (Some(o), Ident::LT) => o == Ordering::Less,
        (Some(o), Ident::LE) => o != Ordering::Greater,
        (Some(o), Ident::GT) => o == Ordering::Greater,
        (Some(o), Ident::GE) => o != Ordering::Less,
        _ => false,
    };
    Ok(Value::Bool(r))
}

/// The result of an integer fast-path operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntResult {
    /// An arithmetic result.
    Int(i64),
    /// A comparison result.
    Bool(bool),
}

impl IntResult {
    /// Stores the result in `slot`, writing only the payload when the slot
    /// already holds a value of the same type (the common case in loops).
    #[inline(always)]
    pub fn store(self, slot: &mut Value) {
        match (slot, self) {
            (Value::Int(s), IntResult::Int(r)) => *s = r,
            (Value::Bool(s), IntResult::Bool(r)) => *s = r,
            (slot, IntResult::Int(r)) => *slot = Value::Int(r),
            (slot, IntResult::Bool(r)) => *slot = Value::Bool(r),
        }
    }

    /// The result as a value.
    #[inline(always)]
    pub fn value(self) -> Value {
        match self {
            IntResult::Int(r) => Value::Int(r),
            IntResult::Bool(r) => Value::Bool(r),
        }
    }
}

/// A method as an operation on two integers, decided once when a Mold is
/// lowered, so that the VM's fast path does not compare identifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOp {
    /// Not an integer operation: the general path runs.
    None,
    /// `infix:+`, checked for overflow.
    Add,
    /// `infix:-`, checked for overflow.
    Sub,
    /// `infix:*`, checked for overflow.
    Mul,
    /// `infix:<`.
    Lt,
    /// `infix:<=`.
    Le,
    /// `infix:>`.
    Gt,
    /// `infix:>=`.
    Ge,
    /// `infix:==`.
    Eq,
    /// `infix:!=`.
    Ne,
}

impl IntOp {
    /// The integer operation `method` names, if any.
    pub fn of(method: Ident) -> IntOp {
        match method {
            Ident::ADD => IntOp::Add,
            Ident::SUB => IntOp::Sub,
            Ident::MUL => IntOp::Mul,
            Ident::LT => IntOp::Lt,
            Ident::LE => IntOp::Le,
            Ident::GT => IntOp::Gt,
            Ident::GE => IntOp::Ge,
            Ident::EQ => IntOp::Eq,
            Ident::NE => IntOp::Ne,
            _ => IntOp::None,
        }
    }
}

/// The VM's fastest path: `inv."op"(arg)` on two integers.
#[inline(always)]
pub fn int_op(op: IntOp, i: i64, j: i64) -> Option<IntResult> {
    Some(match op {
        IntOp::Add => IntResult::Int(i.wrapping_add(j)),
        IntOp::Sub => IntResult::Int(i.wrapping_sub(j)),
        IntOp::Mul => IntResult::Int(i.wrapping_mul(j)),
        IntOp::Lt => IntResult::Bool(i < j),
        IntOp::Le => IntResult::Bool(i <= j),
        IntOp::Gt => IntResult::Bool(i > j),
        IntOp::Ge => IntResult::Bool(i >= j),
        IntOp::Eq => IntResult::Bool(i == j),
        IntOp::Ne => IntResult::Bool(i != j),
        IntOp::None => return None,
    })
}

/// [`int_op`] for the operation `method` names.
#[inline(always)]
pub fn int_binop(method: Ident, i: i64, j: i64) -> Option<IntResult> {
    int_op(IntOp::of(method), i, j)
}

/// The VM's fast path for `inv."op"(arg)` on two integers or two floats.
/// Returns `None` when the general path must run (other types, errors).
#[inline(always)]
pub fn fast_binop(method: Ident, a: &Value, b: &Value) -> Option<Value> {
    match (a, b) {
        (Value::Int(i), Value::Int(j)) => int_binop(method, *i, *j).map(IntResult::value),
        (Value::Float(x), Value::Float(y)) => {
            let (x, y) = (*x, *y);
            Some(match method {
                Ident::ADD => Value::Float(x + y),
                Ident::SUB => Value::Float(x - y),
                Ident::MUL => Value::Float(x * y),
                Ident::DIV => Value::Float(x / y),
                Ident::LT => Value::Bool(x < y),
                Ident::LE => Value::Bool(x <= y),
                Ident::GT => Value::Bool(x > y),
                Ident::GE => Value::Bool(x >= y),
                Ident::EQ => Value::Bool(x == y),
                Ident::NE => Value::Bool(x != y),
                _ => return None,
            })
        }
        _ => None,
    }
}

/// Converts to an integer: floats truncate toward zero, numeric strings
/// parse, booleans give 1 or 0, undef gives 0.
///
/// # Errors
///
/// A wrong-type error for values with no integer form.
pub fn to_int(rt: &Cx, v: &Value) -> Result<Value, ScriptError> {
    let bad = || {
        ScriptError::wrong_type(
            "Int's invocant",
            "convertible to an integer",
            rt.type_name(v),
        )
    };
    Ok(Value::Int(match v {
        Value::Nil => 0,
        Value::Bool(b) => i64::from(*b),
        Value::Int(i) => *i,
        Value::Float(f) if f.is_finite() => f.trunc() as i64,
        Value::Str(_) => match to_num(v).ok_or_else(bad)? {
            Num::I(i) => i,
            Num::F(f) if f.is_finite() => f.trunc() as i64,
            Num::F(_) => return Err(bad()),
        },
        _ => return Err(bad()),
    }))
}

/// Converts to a float.
///
/// # Errors
///
/// A wrong-type error for values with no numeric form.
pub fn to_float(rt: &Cx, v: &Value) -> Result<Value, ScriptError> {
    Ok(Value::Float(match v {
        Value::Nil => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        _ => as_f(to_num(v).ok_or_else(|| {
            ScriptError::wrong_type("Num's invocant", "convertible to a number", rt.type_name(v))
        })?),
    }))
}

/// The immediate responder the run loop uses for non-object values.
///
/// # Errors
///
/// An unknown-method error naming the value's type, or the method's own
/// failure.
pub fn respond(rt: &mut Cx, method: Ident, cap: Capture<'_>) -> Result<Reply, ScriptError> {
    let inv = cap.invocant;
    let v = match method {
        Ident::FETCH => inv.clone(),
        Ident::DEFINED => Value::Bool(inv.is_defined()),
        Ident::TRUE => Value::Bool(inv.truthy()),
        // A string is its own rendering: no copy.
        Ident::STR if matches!(inv, Value::Str(_)) => inv.clone(),
        Ident::STR => Value::str(inv.render()),
        _ if matches!(inv, Value::Nil) => {
            return Err(ScriptError::unknown_method(rt.type_name(inv), method))
        }
        Ident::INT => to_int(rt, inv)?,
        Ident::NUM => to_float(rt, inv)?,
        Ident::ADD | Ident::SUB | Ident::MUL | Ident::DIV | Ident::MOD => {
            only_args(&cap, method, 1)?;
            if matches!(inv, Value::Bool(_)) {
                return Err(arith_error(rt, inv));
            }
            arith(rt, method, inv, cap.pos(0)?)?
        }
        Ident::EQ | Ident::NE | Ident::LT | Ident::LE | Ident::GT | Ident::GE => {
            only_args(&cap, method, 1)?;
            compare(rt, method, inv, cap.pos(0)?)?
        }
        Ident::CONCAT => concat(rt, inv, cap.positional)?,
        Ident::NEG => match inv {
            Value::Int(i) => Value::Int(i.wrapping_neg()),
            Value::Float(f) => Value::Float(-f),
            _ => match to_num(inv) {
                Some(Num::I(i)) => Value::Int(i.wrapping_neg()),
                Some(Num::F(f)) => Value::Float(-f),
                None => return Err(arith_error(rt, inv)),
            },
        },
        Ident::ELEMS if matches!(inv, Value::Str(_)) => {
            Value::Int(inv.as_bytes().map_or(0, |b| b.len() as i64))
        }
        _ => return Err(ScriptError::unknown_method(rt.type_name(inv), method)),
    };
    Ok(Reply::Value(v))
}

/// `infix:~`: the renderings of the invocant and the arguments, joined.
/// With a memory limit, the result's size is checked first: building it
/// takes a buffer and the string's own copy of it.
fn concat(rt: &mut Cx, inv: &Value, args: &[Value]) -> Result<Value, ScriptError> {
    let mut out = if memory::active() {
        let len = std::iter::once(inv)
            .chain(args)
            .map(rendered_len)
            .fold(0usize, usize::saturating_add);
        rt.reserve_memory(len.saturating_mul(2))?;
        memory::try_buffer(len)?
    } else {
        Vec::new()
    };
    inv.render_into(&mut out);
    for a in args {
        a.render_into(&mut out);
    }
    Ok(Value::str(out))
}

/// About how many bytes `v` renders to: exact for strings.
fn rendered_len(v: &Value) -> usize {
    match v {
        Value::Str(s) => s.len(),
        _ => 24,
    }
}

fn only_args(cap: &Capture, method: Ident, n: usize) -> Result<(), ScriptError> {
    if cap.positional.len() < n {
        return Err(ScriptError::missing_positional(
            cap.positional.len(),
            cap.positional.len(),
        ));
    }
    cap.expect_at_most(method, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(inv: Value, m: &str, args: Vec<Value>) -> Result<Value, ScriptError> {
        let mut rt = Cx::new();
        match respond(&mut rt, Ident::new(m), Capture::new(&inv, &args))? {
            Reply::Value(v) => Ok(v),
            other => panic!("an immediate answered {other:?}"),
        }
    }

    #[test]
    fn lua_arithmetic() {
        assert!(call(Value::Int(7), "infix:/", vec![Value::Int(2)])
            .unwrap()
            .raw_eq(&Value::Float(3.5)));
        assert!(call(Value::Int(-7), "infix:%", vec![Value::Int(3)])
            .unwrap()
            .raw_eq(&Value::Int(2)));
        assert!(call(Value::Float(-7.0), "infix:%", vec![Value::Int(3)])
            .unwrap()
            .raw_eq(&Value::Float(2.0)));
        assert!(call(Value::str("10"), "infix:+", vec![Value::Int(1)])
            .unwrap()
            .raw_eq(&Value::Int(11)));
        assert!(call(Value::Int(i64::MAX), "infix:+", vec![Value::Int(1)])
            .unwrap()
            .raw_eq(&Value::Int(i64::MIN)));
        assert_eq!(
            call(Value::Int(1), "infix:%", vec![Value::Int(0)])
                .unwrap_err()
                .kind,
            ErrorKind::Runtime
        );
        assert_eq!(
            call(Value::str("x"), "infix:+", vec![Value::Int(1)])
                .unwrap_err()
                .kind,
            ErrorKind::WrongType
        );
    }

    #[test]
    fn comparisons_and_strings() {
        assert!(call(Value::Int(1), "infix:<", vec![Value::Float(1.5)])
            .unwrap()
            .truthy());
        assert!(call(Value::str("a"), "infix:<", vec![Value::str("b")])
            .unwrap()
            .truthy());
        assert!(!call(Value::Int(1), "infix:==", vec![Value::str("1")])
            .unwrap()
            .truthy());
        assert!(call(Value::Int(1), "infix:<", vec![Value::str("1")]).is_err());
        let s = call(
            Value::Int(1),
            "infix:~",
            vec![Value::Float(2.0), Value::Bool(true)],
        )
        .unwrap();
        assert_eq!(s.as_bytes().unwrap(), b"12.0true");
        assert_eq!(
            call(Value::Nil, "Str", vec![]).unwrap().as_bytes().unwrap(),
            b""
        );
        assert_eq!(
            call(Value::Nil, "foo", vec![]).unwrap_err().kind,
            ErrorKind::UnknownMethod
        );
        assert!(call(Value::Float(2.9), "Int", vec![])
            .unwrap()
            .raw_eq(&Value::Int(2)));
    }
}
