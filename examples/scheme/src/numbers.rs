//! Numeric builtins. Integers are exact 64-bit values; an operation whose
//! exact result does not fit in 64 bits gives the inexact (float) result
//! instead, as R7RS allows ("it may silently coerce its result to an
//! inexact number"). Integer division by zero is an error; float division
//! by zero gives an infinity.

use polyeval_core::{Cx, ErrorKind, ScriptError, Value};

use crate::print::{float_text, shown};
use crate::read::{parse_number, DatumKind};

#[derive(Clone, Copy)]
enum Num {
    I(i64),
    F(f64),
}

impl Num {
    fn f(self) -> f64 {
        match self {
            Num::I(i) => i as f64,
            Num::F(f) => f,
        }
    }

    fn value(self) -> Value {
        match self {
            Num::I(i) => Value::Int(i),
            Num::F(f) => Value::Float(f),
        }
    }
}

#[cold]
pub(crate) fn type_error(who: &str, want: &str, got: &Value) -> ScriptError {
    ScriptError::new(
        ErrorKind::WrongType,
        format!("{who}: expected {want}, got {}", shown(got)),
    )
}

fn num(who: &str, v: &Value) -> Result<Num, ScriptError> {
    match v {
        Value::Int(i) => Ok(Num::I(*i)),
        Value::Float(f) => Ok(Num::F(*f)),
        _ => Err(type_error(who, "a number", v)),
    }
}

fn int(who: &str, v: &Value) -> Result<i64, ScriptError> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => Ok(*f as i64),
        _ => Err(type_error(who, "an integer", v)),
    }
}

fn arith(
    who: &str,
    args: &[Value],
    unit: i64,
    exact: fn(i64, i64) -> Option<i64>,
    inexact: fn(f64, f64) -> f64,
) -> Result<Value, ScriptError> {
    let mut acc = match args {
        [] => return Ok(Value::Int(unit)),
        [x] if who == "-" => return step(Num::I(0), num(who, x)?, exact, inexact).map(Num::value),
        [x, ..] => num(who, x)?,
    };
    for a in &args[1..] {
        acc = step(acc, num(who, a)?, exact, inexact)?;
    }
    Ok(acc.value())
}

fn step(
    a: Num,
    b: Num,
    exact: fn(i64, i64) -> Option<i64>,
    inexact: fn(f64, f64) -> f64,
) -> Result<Num, ScriptError> {
    Ok(match (a, b) {
        (Num::I(x), Num::I(y)) => match exact(x, y) {
            Some(r) => Num::I(r),
            None => Num::F(inexact(x as f64, y as f64)),
        },
        _ => Num::F(inexact(a.f(), b.f())),
    })
}

pub(crate) fn add(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    arith("+", a, 0, i64::checked_add, |x, y| x + y)
}

pub(crate) fn sub(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    arith("-", a, 0, i64::checked_sub, |x, y| x - y)
}

pub(crate) fn mul(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    arith("*", a, 1, i64::checked_mul, |x, y| x * y)
}

pub(crate) fn div(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    let (mut acc, rest) = match a {
        [x] => (Num::I(1), std::slice::from_ref(x)),
        [x, rest @ ..] => (num("/", x)?, rest),
        [] => return Ok(Value::Int(1)),
    };
    for v in rest {
        acc = match (acc, num("/", v)?) {
            (Num::I(_), Num::I(0)) => {
                return Err(ScriptError::runtime("/: division by zero"));
            }
            (Num::I(x), Num::I(y)) => match (x.checked_rem(y), x.checked_div(y)) {
                (Some(0), Some(q)) => Num::I(q),
                _ => Num::F(x as f64 / y as f64),
            },
            (x, y) => Num::F(x.f() / y.f()),
        };
    }
    Ok(acc.value())
}

fn compare(
    who: &str,
    a: &[Value],
    ok: fn(std::cmp::Ordering) -> bool,
) -> Result<Value, ScriptError> {
    let mut holds = true;
    let mut prev = num(who, &a[0])?;
    for v in &a[1..] {
        let next = num(who, v)?;
        let ord = match (prev, next) {
            (Num::I(x), Num::I(y)) => Some(x.cmp(&y)),
            (x, y) => x.f().partial_cmp(&y.f()),
        };
        holds &= ord.is_some_and(ok);
        prev = next;
    }
    Ok(Value::Bool(holds))
}

pub(crate) fn num_eq(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    compare("=", a, |o| o.is_eq())
}
pub(crate) fn lt(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    compare("<", a, |o| o.is_lt())
}
pub(crate) fn gt(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    compare(">", a, |o| o.is_gt())
}
pub(crate) fn le(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    compare("<=", a, |o| o.is_le())
}
pub(crate) fn ge(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    compare(">=", a, |o| o.is_ge())
}

fn int_div(who: &str, a: &[Value], f: fn(i64, i64) -> Option<i64>) -> Result<Value, ScriptError> {
    let (x, y) = (int(who, &a[0])?, int(who, &a[1])?);
    if y == 0 {
        return Err(ScriptError::runtime(format!("{who}: division by zero")));
    }
    Ok(match f(x, y) {
        Some(r) => Value::Int(r),
        None => Value::Int(0),
    })
}

pub(crate) fn quotient(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    let (x, y) = (int("quotient", &a[0])?, int("quotient", &a[1])?);
    if y == 0 {
        return Err(ScriptError::runtime("quotient: division by zero"));
    }
    Ok(match x.checked_div(y) {
        Some(q) => Value::Int(q),
        None => Value::Float(x as f64 / y as f64),
    })
}

pub(crate) fn remainder(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    int_div("remainder", a, i64::checked_rem)
}

pub(crate) fn modulo(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    int_div("modulo", a, |x, y| {
        x.checked_rem(y).map(|r| {
            if r != 0 && (r < 0) != (y < 0) {
                r + y
            } else {
                r
            }
        })
    })
}

pub(crate) fn abs(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    Ok(match num("abs", &a[0])? {
        Num::I(i) => i
            .checked_abs()
            .map_or(Value::Float((i as f64).abs()), Value::Int),
        Num::F(f) => Value::Float(f.abs()),
    })
}

fn extremum(
    who: &str,
    a: &[Value],
    pick_second: fn(f64, f64) -> bool,
) -> Result<Value, ScriptError> {
    let mut best = num(who, &a[0])?;
    let mut inexact = matches!(best, Num::F(_));
    for v in &a[1..] {
        let n = num(who, v)?;
        inexact |= matches!(n, Num::F(_));
        if pick_second(best.f(), n.f()) {
            best = n;
        }
    }
    Ok(if inexact {
        Value::Float(best.f())
    } else {
        best.value()
    })
}

pub(crate) fn min(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    extremum("min", a, |b, n| n < b)
}
pub(crate) fn max(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    extremum("max", a, |b, n| n > b)
}

pub(crate) fn is_number(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    Ok(Value::Bool(matches!(a[0], Value::Int(_) | Value::Float(_))))
}

pub(crate) fn is_integer(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    Ok(Value::Bool(match a[0] {
        Value::Int(_) => true,
        Value::Float(f) => f.is_finite() && f.fract() == 0.0,
        _ => false,
    }))
}

fn sign_test(who: &str, v: &Value, t: fn(f64) -> bool) -> Result<Value, ScriptError> {
    Ok(Value::Bool(t(num(who, v)?.f())))
}

pub(crate) fn is_zero(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    sign_test("zero?", &a[0], |f| f == 0.0)
}
pub(crate) fn is_positive(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    sign_test("positive?", &a[0], |f| f > 0.0)
}
pub(crate) fn is_negative(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    sign_test("negative?", &a[0], |f| f < 0.0)
}
pub(crate) fn is_even(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    Ok(Value::Bool(int("even?", &a[0])? % 2 == 0))
}
pub(crate) fn is_odd(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    Ok(Value::Bool(int("odd?", &a[0])? % 2 != 0))
}

pub(crate) fn inexact(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    Ok(Value::Float(num("inexact", &a[0])?.f()))
}

pub(crate) fn exact(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    match num("exact", &a[0])? {
        Num::I(i) => Ok(Value::Int(i)),
        Num::F(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(Value::Int(f as i64)),
        Num::F(_) => Err(type_error(
            "exact",
            "a number with an exact integer value",
            &a[0],
        )),
    }
}

fn rounding(who: &str, v: &Value, f: fn(f64) -> f64) -> Result<Value, ScriptError> {
    Ok(match num(who, v)? {
        Num::I(i) => Value::Int(i),
        Num::F(x) => Value::Float(f(x)),
    })
}

pub(crate) fn floor(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    rounding("floor", &a[0], f64::floor)
}
pub(crate) fn ceiling(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    rounding("ceiling", &a[0], f64::ceil)
}
pub(crate) fn truncate(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    rounding("truncate", &a[0], f64::trunc)
}
pub(crate) fn round(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    rounding("round", &a[0], f64::round_ties_even)
}

pub(crate) fn sqrt(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    let n = num("sqrt", &a[0])?;
    let r = n.f().sqrt();
    if let Num::I(i) = n {
        if i >= 0 && r.fract() == 0.0 && (r as i64).checked_mul(r as i64) == Some(i) {
            return Ok(Value::Int(r as i64));
        }
    }
    Ok(Value::Float(r))
}

pub(crate) fn expt(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    let (b, e) = (num("expt", &a[0])?, num("expt", &a[1])?);
    if let (Num::I(b), Num::I(e)) = (b, e) {
        if let Ok(e) = u32::try_from(e) {
            if let Some(r) = b.checked_pow(e) {
                return Ok(Value::Int(r));
            }
        }
    }
    Ok(Value::Float(b.f().powf(e.f())))
}

pub(crate) fn number_to_string(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    Ok(Value::str(match num("number->string", &a[0])? {
        Num::I(i) => i.to_string(),
        Num::F(f) => float_text(f),
    }))
}

pub(crate) fn string_to_number(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    let s = a[0]
        .as_bytes()
        .ok_or_else(|| type_error("string->number", "a string", &a[0]))?;
    Ok(match parse_number(s) {
        Some(DatumKind::Int(i)) => Value::Int(i),
        Some(DatumKind::Float(f)) => Value::Float(f),
        _ => Value::Bool(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: fn(&mut Cx, &[Value]) -> Result<Value, ScriptError>, a: &[Value]) -> Value {
        f(polyeval_core::Interp::new().cx(), a).unwrap()
    }

    #[test]
    fn overflow_becomes_inexact() {
        let v = call(add, &[Value::Int(i64::MAX), Value::Int(1)]);
        assert!(matches!(v, Value::Float(f) if f == 9_223_372_036_854_775_808.0));
        assert!(matches!(
            call(mul, &[Value::Int(6), Value::Int(7)]),
            Value::Int(42)
        ));
    }

    #[test]
    fn division() {
        assert!(matches!(
            call(div, &[Value::Int(6), Value::Int(3)]),
            Value::Int(2)
        ));
        assert!(matches!(call(div, &[Value::Int(1), Value::Int(2)]), Value::Float(f) if f == 0.5));
        assert!(div(
            polyeval_core::Interp::new().cx(),
            &[Value::Int(1), Value::Int(0)]
        )
        .is_err());
        assert!(matches!(
            call(modulo, &[Value::Int(-7), Value::Int(3)]),
            Value::Int(2)
        ));
        assert!(matches!(
            call(remainder, &[Value::Int(-7), Value::Int(3)]),
            Value::Int(-1)
        ));
    }

    #[test]
    fn comparisons_chain() {
        let a = [Value::Int(1), Value::Float(2.0), Value::Int(3)];
        assert!(matches!(call(lt, &a), Value::Bool(true)));
        assert!(matches!(call(gt, &a), Value::Bool(false)));
    }
}
