//! The builtin procedures: the table every run loop's globals start with,
//! and the list, predicate, string, output and error builtins (numbers are
//! in [`crate::numbers`]). The control builtins (`apply`, `call/cc`,
//! `catch`, `send`, `eval-in`) are run by the machine itself. Every list
//! builtin walks lists with a loop, so a list a million long is fine.

use std::rc::Rc;

use polyeval_core::{same_object, Cx, ErrorObject, ScriptError, Value};

use crate::env::Globals;
use crate::numbers as n;
use crate::numbers::type_error;
use crate::print::print_into;
use crate::values::{
    cons, is_procedure, list_of, symbol, symbol_name, Condition, Pair, PrimFn, PrimOp, Primitive,
    Raised, Symbol,
};

type Entry = (&'static str, usize, Option<usize>, PrimOp);

const ANY: Option<usize> = None;

fn table() -> Vec<Entry> {
    use PrimOp::Simple as S;
    let f = |name, min, max, op: PrimFn| (name, min, max, S(op));
    vec![
        f("+", 0, ANY, n::add),
        f("-", 1, ANY, n::sub),
        f("*", 0, ANY, n::mul),
        f("/", 1, ANY, n::div),
        f("=", 1, ANY, n::num_eq),
        f("<", 1, ANY, n::lt),
        f(">", 1, ANY, n::gt),
        f("<=", 1, ANY, n::le),
        f(">=", 1, ANY, n::ge),
        f("quotient", 2, Some(2), n::quotient),
        f("remainder", 2, Some(2), n::remainder),
        f("modulo", 2, Some(2), n::modulo),
        f("abs", 1, Some(1), n::abs),
        f("min", 1, ANY, n::min),
        f("max", 1, ANY, n::max),
        f("number?", 1, Some(1), n::is_number),
        f("integer?", 1, Some(1), n::is_integer),
        f("zero?", 1, Some(1), n::is_zero),
        f("positive?", 1, Some(1), n::is_positive),
        f("negative?", 1, Some(1), n::is_negative),
        f("even?", 1, Some(1), n::is_even),
        f("odd?", 1, Some(1), n::is_odd),
        f("inexact", 1, Some(1), n::inexact),
        f("exact->inexact", 1, Some(1), n::inexact),
        f("exact", 1, Some(1), n::exact),
        f("inexact->exact", 1, Some(1), n::exact),
        f("floor", 1, Some(1), n::floor),
        f("ceiling", 1, Some(1), n::ceiling),
        f("truncate", 1, Some(1), n::truncate),
        f("round", 1, Some(1), n::round),
        f("sqrt", 1, Some(1), n::sqrt),
        f("expt", 2, Some(2), n::expt),
        f("number->string", 1, Some(1), n::number_to_string),
        f("string->number", 1, Some(1), n::string_to_number),
        f("not", 1, Some(1), |_, a| {
            Ok(Value::Bool(matches!(a[0], Value::Bool(false))))
        }),
        f("boolean?", 1, Some(1), |_, a| {
            Ok(Value::Bool(matches!(a[0], Value::Bool(_))))
        }),
        f("null?", 1, Some(1), |_, a| {
            Ok(Value::Bool(matches!(a[0], Value::Nil)))
        }),
        f("pair?", 1, Some(1), |_, a| {
            Ok(Value::Bool(a[0].downcast::<Pair>().is_some()))
        }),
        f("list?", 1, Some(1), |_, a| {
            Ok(Value::Bool(list_len(&a[0]).is_some()))
        }),
        f("string?", 1, Some(1), |_, a| {
            Ok(Value::Bool(matches!(a[0], Value::Str(_))))
        }),
        f("symbol?", 1, Some(1), |_, a| {
            Ok(Value::Bool(a[0].downcast::<Symbol>().is_some()))
        }),
        f("procedure?", 1, Some(1), |_, a| {
            Ok(Value::Bool(is_procedure(&a[0])))
        }),
        f("eq?", 2, Some(2), |_, a| Ok(Value::Bool(eqv(&a[0], &a[1])))),
        f("eqv?", 2, Some(2), |_, a| {
            Ok(Value::Bool(eqv(&a[0], &a[1])))
        }),
        f("equal?", 2, Some(2), |_, a| {
            Ok(Value::Bool(equal(&a[0], &a[1])))
        }),
        f("cons", 2, Some(2), |_, a| {
            Ok(cons(a[0].clone(), a[1].clone()))
        }),
        f("car", 1, Some(1), |_, a| {
            Ok(pair("car", &a[0])?.car.clone())
        }),
        f("cdr", 1, Some(1), |_, a| {
            Ok(pair("cdr", &a[0])?.cdr.clone())
        }),
        f("caar", 1, Some(1), |_, a| cxr("caar", &a[0], b"aa")),
        f("cadr", 1, Some(1), |_, a| cxr("cadr", &a[0], b"ad")),
        f("cdar", 1, Some(1), |_, a| cxr("cdar", &a[0], b"da")),
        f("cddr", 1, Some(1), |_, a| cxr("cddr", &a[0], b"dd")),
        f("caddr", 1, Some(1), |_, a| cxr("caddr", &a[0], b"add")),
        f("list", 0, ANY, |rt, a| {
            reserve_pairs(rt, a.len())?;
            Ok(list_of(a.iter().cloned()))
        }),
        f("length", 1, Some(1), length),
        f("append", 0, ANY, append),
        f("reverse", 1, Some(1), reverse),
        f("list-tail", 2, Some(2), list_tail),
        f("list-ref", 2, Some(2), |rt, a| {
            Ok(pair("list-ref", &list_tail(rt, a)?)?.car.clone())
        }),
        f("memq", 2, Some(2), |_, a| Ok(member(&a[0], &a[1], eqv))),
        f("memv", 2, Some(2), |_, a| Ok(member(&a[0], &a[1], eqv))),
        f("member", 2, Some(2), |_, a| Ok(member(&a[0], &a[1], equal))),
        f("assq", 2, Some(2), |_, a| Ok(assoc(&a[0], &a[1], eqv))),
        f("assv", 2, Some(2), |_, a| Ok(assoc(&a[0], &a[1], eqv))),
        f("assoc", 2, Some(2), |_, a| Ok(assoc(&a[0], &a[1], equal))),
        f("string-append", 0, ANY, string_append),
        f("string-length", 1, Some(1), |_, a| {
            Ok(Value::Int(string("string-length", &a[0])?.len() as i64))
        }),
        f("substring", 2, Some(3), substring),
        f("string=?", 1, ANY, |_, a| {
            string_compare("string=?", a, |x, y| x == y)
        }),
        f("string<?", 1, ANY, |_, a| {
            string_compare("string<?", a, |x, y| x < y)
        }),
        f("symbol->string", 1, Some(1), |_, a| {
            match symbol_name(&a[0]) {
                Some(s) => Ok(Value::str(s.name())),
                None => Err(type_error("symbol->string", "a symbol", &a[0])),
            }
        }),
        f("string->symbol", 1, Some(1), |_, a| {
            Ok(symbol(polyeval_core::Ident::from_bytes(string(
                "string->symbol",
                &a[0],
            )?)))
        }),
        f("display", 1, Some(1), |rt, a| output(rt, &a[0], false)),
        f("write", 1, Some(1), |rt, a| output(rt, &a[0], true)),
        f("newline", 0, Some(0), |rt, _| {
            output(rt, &Value::str("\n"), false)
        }),
        f("error", 1, ANY, error),
        f("raise", 1, Some(1), raise),
        f("error-object?", 1, Some(1), |_, a| {
            Ok(Value::Bool(
                a[0].downcast::<Condition>().is_some() || a[0].downcast::<ErrorObject>().is_some(),
            ))
        }),
        f("error-object-message", 1, Some(1), error_message),
        f("error-object-irritants", 1, Some(1), |_, a| {
            Ok(a[0]
                .downcast::<Condition>()
                .map_or(Value::Nil, |c| c.irritants.clone()))
        }),
        f("interpreter", 0, Some(0), |rt, _| Ok(rt.interp_value())),
        ("apply", 2, ANY, PrimOp::Apply),
        ("call/cc", 1, Some(1), PrimOp::CallCc),
        ("call-with-current-continuation", 1, Some(1), PrimOp::CallCc),
        ("catch", 2, Some(2), PrimOp::Catch),
        ("send", 2, ANY, PrimOp::Send),
        ("eval-in", 2, ANY, PrimOp::EvalIn),
    ]
}

/// Asks the memory limit for `n` more pairs.
fn reserve_pairs(rt: &mut Cx, n: usize) -> Result<(), ScriptError> {
    if polyeval_core::memory::active() {
        rt.reserve_memory(n.saturating_mul(PAIR_BYTES))?;
    }
    Ok(())
}

/// What one pair takes on the heap: the `Rc` counts and two values.
const PAIR_BYTES: usize = 16 + 2 * std::mem::size_of::<Value>();

fn make((name, min, max, op): Entry) -> Value {
    Value::obj(Primitive { name, min, max, op })
}

/// Binds every builtin in `g`.
pub(crate) fn install(g: &Globals) {
    for e in table() {
        let name = e.0;
        g.define(name, make(e));
    }
}

/// A fresh value of the builtin `name` (`Nil` if there is none), for
/// code the compiler generates, which must not see user redefinitions.
pub(crate) fn primitive(name: &str) -> Value {
    table()
        .into_iter()
        .find(|e| e.0 == name)
        .map_or(Value::Nil, make)
}

/// `eqv?`: identity for objects and strings, equality of the same kind
/// of number, and symbols by name.
pub(crate) fn eqv(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits() || x == y,
        (Value::Str(x), Value::Str(y)) => Rc::ptr_eq(x, y) || (x.is_empty() && y.is_empty()),
        (Value::Obj(x), Value::Obj(y)) => {
            same_object(x, y)
                || matches!((symbol_name(a), symbol_name(b)), (Some(p), Some(q)) if p == q)
        }
        _ => false,
    }
}

/// `equal?`: structural on pairs and strings, `eqv?` on the rest.
pub(crate) fn equal(a: &Value, b: &Value) -> bool {
    let mut todo = vec![(a.clone(), b.clone())];
    while let Some((x, y)) = todo.pop() {
        match (x.downcast::<Pair>(), y.downcast::<Pair>()) {
            (Some(p), Some(q)) => {
                todo.push((p.cdr.clone(), q.cdr.clone()));
                todo.push((p.car.clone(), q.car.clone()));
            }
            _ => {
                let same = match (&x, &y) {
                    (Value::Str(s), Value::Str(t)) => s == t,
                    _ => eqv(&x, &y),
                };
                if !same {
                    return false;
                }
            }
        }
    }
    true
}

fn pair<'a>(who: &str, v: &'a Value) -> Result<&'a Pair, ScriptError> {
    v.downcast::<Pair>()
        .ok_or_else(|| type_error(who, "a pair", v))
}

fn cxr(who: &str, v: &Value, path: &[u8]) -> Result<Value, ScriptError> {
    let mut cur = v.clone();
    for step in path.iter().rev() {
        let p = pair(who, &cur)?;
        let next = if *step == b'a' {
            p.car.clone()
        } else {
            p.cdr.clone()
        };
        cur = next;
    }
    Ok(cur)
}

fn string<'a>(who: &str, v: &'a Value) -> Result<&'a [u8], ScriptError> {
    v.as_bytes().ok_or_else(|| type_error(who, "a string", v))
}

/// The length of a proper list, `None` for anything else.
fn list_len(v: &Value) -> Option<usize> {
    let mut n = 0;
    let mut cur = v.clone();
    loop {
        match &cur {
            Value::Nil => return Some(n),
            _ => {
                let next = cur.downcast::<Pair>()?.cdr.clone();
                cur = next;
                n += 1;
            }
        }
    }
}

/// The elements of the proper list `v`.
fn elements(who: &str, v: &Value) -> Result<Vec<Value>, ScriptError> {
    let mut out = Vec::new();
    let mut cur = v.clone();
    while !matches!(cur, Value::Nil) {
        let p = cur
            .downcast::<Pair>()
            .ok_or_else(|| type_error(who, "a proper list", v))?;
        out.push(p.car.clone());
        let next = p.cdr.clone();
        cur = next;
    }
    Ok(out)
}

fn length(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    let n = list_len(&a[0]).ok_or_else(|| type_error("length", "a proper list", &a[0]))?;
    Ok(Value::Int(n as i64))
}

fn append(rt: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    let Some((last, init)) = a.split_last() else {
        return Ok(Value::Nil);
    };
    let mut items = Vec::new();
    for l in init {
        items.extend(elements("append", l)?);
    }
    reserve_pairs(rt, items.len())?;
    Ok(items
        .into_iter()
        .rev()
        .fold(last.clone(), |acc, v| cons(v, acc)))
}

fn reverse(rt: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    let items = elements("reverse", &a[0])?;
    reserve_pairs(rt, items.len())?;
    Ok(items.into_iter().fold(Value::Nil, |acc, v| cons(v, acc)))
}

fn list_tail(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    let Value::Int(k) = a[1] else {
        return Err(type_error("list-tail", "an exact integer index", &a[1]));
    };
    let mut cur = a[0].clone();
    for _ in 0..k.max(0) {
        let next = pair("list-tail", &cur)?.cdr.clone();
        cur = next;
    }
    Ok(cur)
}

fn member(x: &Value, list: &Value, same: fn(&Value, &Value) -> bool) -> Value {
    let mut cur = list.clone();
    while let Some(p) = cur.downcast::<Pair>() {
        if same(x, &p.car) {
            return cur;
        }
        let next = p.cdr.clone();
        cur = next;
    }
    Value::Bool(false)
}

fn assoc(x: &Value, list: &Value, same: fn(&Value, &Value) -> bool) -> Value {
    let mut cur = list.clone();
    while let Some(p) = cur.downcast::<Pair>() {
        if let Some(entry) = p.car.downcast::<Pair>() {
            if same(x, &entry.car) {
                return p.car.clone();
            }
        }
        let next = p.cdr.clone();
        cur = next;
    }
    Value::Bool(false)
}

fn string_append(rt: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    let mut len = 0usize;
    for v in a {
        len = len.saturating_add(string("string-append", v)?.len());
    }
    if polyeval_core::memory::active() {
        rt.reserve_memory(len)?;
    }
    let mut out = Vec::with_capacity(len);
    for v in a {
        out.extend_from_slice(string("string-append", v)?);
    }
    Ok(Value::str(out))
}

fn substring(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    let s = string("substring", &a[0])?;
    let index = |v: &Value| match v {
        Value::Int(i) if *i >= 0 && (*i as usize) <= s.len() => Ok(*i as usize),
        _ => Err(type_error("substring", "an index within the string", v)),
    };
    let start = index(&a[1])?;
    let end = a.get(2).map_or(Ok(s.len()), index)?;
    if start > end {
        return Err(type_error(
            "substring",
            "an end not before the start",
            &a[2],
        ));
    }
    Ok(Value::str(&s[start..end]))
}

fn string_compare(
    who: &str,
    a: &[Value],
    ok: fn(&[u8], &[u8]) -> bool,
) -> Result<Value, ScriptError> {
    let strs: Vec<&[u8]> = a.iter().map(|v| string(who, v)).collect::<Result<_, _>>()?;
    Ok(Value::Bool(strs.windows(2).all(|w| ok(w[0], w[1]))))
}

fn output(rt: &mut Cx, v: &Value, write: bool) -> Result<Value, ScriptError> {
    let mut out = Vec::new();
    print_into(&mut out, v, write);
    rt.out()
        .write_all(&out)
        .map_err(|e| ScriptError::runtime(format!("cannot write output: {e}")))?;
    Ok(Value::Nil)
}

/// `(error message irritant ...)`.
fn error(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    let message = match &a[0] {
        Value::Str(s) => String::from_utf8_lossy(s).into_owned(),
        v => {
            let mut out = Vec::new();
            print_into(&mut out, v, false);
            String::from_utf8_lossy(&out).into_owned()
        }
    };
    let cond = Condition {
        message,
        irritants: list_of(a[1..].iter().cloned()),
    };
    let mut shown = Vec::new();
    let payload = Value::obj(cond);
    print_into(&mut shown, &payload, false);
    Err(ScriptError::raised(
        String::from_utf8_lossy(&shown),
        payload,
    ))
}

/// `(raise obj)`: a Scheme handler receives `obj` itself.
fn raise(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    let mut shown = b"uncaught raise: ".to_vec();
    print_into(&mut shown, &a[0], true);
    let payload = Value::obj(Raised {
        value: a[0].clone(),
    });
    Err(ScriptError::raised(
        String::from_utf8_lossy(&shown),
        payload,
    ))
}

fn error_message(_: &mut Cx, a: &[Value]) -> Result<Value, ScriptError> {
    if let Some(c) = a[0].downcast::<Condition>() {
        return Ok(Value::str(&c.message));
    }
    if let Some(e) = a[0].downcast::<ErrorObject>() {
        return Ok(Value::str(&e.err.message));
    }
    match &a[0] {
        Value::Str(_) => Ok(a[0].clone()),
        v => Err(type_error("error-object-message", "an error object", v)),
    }
}
