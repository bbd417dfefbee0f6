//! Printing values as `display` (strings raw) and `write` (strings
//! quoted) show them. Lists print with a heap work list, so a list a
//! million long or nested deep through its cars prints without recursion.

use polyeval_core::{format_float, Value};

use crate::values::{Condition, ContinuationObject, Pair, Primitive, Procedure, Symbol};

enum Work {
    Value(Value),
    /// The rest of a list after an element was printed.
    Tail(Value),
    Text(&'static str),
}

/// Appends `v` to `out`, as `display` (`write: false`) or `write` shows it.
pub(crate) fn print_into(out: &mut Vec<u8>, v: &Value, write: bool) {
    let mut work = vec![Work::Value(v.clone())];
    while let Some(w) = work.pop() {
        match w {
            Work::Text(s) => out.extend_from_slice(s.as_bytes()),
            Work::Value(v) => {
                if let Some(p) = v.downcast::<Pair>() {
                    out.push(b'(');
                    work.push(Work::Tail(p.cdr.clone()));
                    work.push(Work::Value(p.car.clone()));
                } else {
                    atom(out, &v, write);
                }
            }
            Work::Tail(v) => match &v {
                Value::Nil => out.push(b')'),
                _ => {
                    if let Some(p) = v.downcast::<Pair>() {
                        out.push(b' ');
                        work.push(Work::Tail(p.cdr.clone()));
                        work.push(Work::Value(p.car.clone()));
                    } else {
                        out.extend_from_slice(b" . ");
                        work.push(Work::Text(")"));
                        work.push(Work::Value(v.clone()));
                    }
                }
            },
        }
    }
}

/// `v` as `write` shows it.
pub(crate) fn written(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    print_into(&mut out, v, true);
    out
}

/// `v` as `write` shows it, as text, cut to about 60 characters, for
/// error messages.
pub(crate) fn shown(v: &Value) -> String {
    let mut s = String::from_utf8_lossy(&written(v)).into_owned();
    if s.chars().count() > 60 {
        s = s.chars().take(57).collect::<String>() + "...";
    }
    s
}

fn atom(out: &mut Vec<u8>, v: &Value, write: bool) {
    match v {
        Value::Nil => out.extend_from_slice(b"()"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"#t" } else { b"#f" }),
        Value::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::Float(f) => out.extend_from_slice(float_text(*f).as_bytes()),
        Value::Str(s) if write => {
            out.push(b'"');
            for &b in s.iter() {
                match b {
                    b'"' => out.extend_from_slice(b"\\\""),
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    _ => out.push(b),
                }
            }
            out.push(b'"');
        }
        Value::Str(s) => out.extend_from_slice(s),
        Value::Obj(_) => object(out, v),
    }
}

/// Scheme's spelling of a float: Lua's `%.14g` rules with `.0` on whole
/// numbers, and `+inf.0`, `-inf.0`, `+nan.0`.
pub(crate) fn float_text(f: f64) -> String {
    if f.is_nan() {
        "+nan.0".to_owned()
    } else if f.is_infinite() {
        if f > 0.0 { "+inf.0" } else { "-inf.0" }.to_owned()
    } else {
        format_float(f)
    }
}

fn object(out: &mut Vec<u8>, v: &Value) {
    if let Some(s) = v.downcast::<Symbol>() {
        out.extend_from_slice(s.name.name().as_bytes());
    } else if let Some(p) = v.downcast::<Procedure>() {
        let name = p.code.shown_name();
        out.extend_from_slice(format!("#<procedure {name}>").as_bytes());
    } else if let Some(p) = v.downcast::<Primitive>() {
        out.extend_from_slice(format!("#<procedure {}>", p.name).as_bytes());
    } else if v.downcast::<ContinuationObject>().is_some() {
        out.extend_from_slice(b"#<continuation>");
    } else if let Some(c) = v.downcast::<Condition>() {
        out.extend_from_slice(c.message.as_bytes());
        let mut irritants = c.irritants.clone();
        while let Some(p) = irritants.downcast::<Pair>() {
            out.push(b' ');
            let next = p.cdr.clone();
            print_into(out, &p.car, true);
            irritants = next;
        }
    } else {
        v.render_into(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{cons, list_of};

    fn show(v: &Value, write: bool) -> String {
        let mut out = Vec::new();
        print_into(&mut out, v, write);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn lists_and_atoms() {
        let l = list_of([Value::Int(1), Value::str("a\"b"), Value::Float(2.0)]);
        assert_eq!(show(&l, true), "(1 \"a\\\"b\" 2.0)");
        assert_eq!(show(&l, false), "(1 a\"b 2.0)");
        let dotted = cons(Value::Int(1), Value::Int(2));
        assert_eq!(show(&dotted, true), "(1 . 2)");
        let nested = list_of([Value::Nil, list_of([Value::Bool(true)])]);
        assert_eq!(show(&nested, true), "(() (#t))");
        assert_eq!(show(&Value::Float(f64::INFINITY), true), "+inf.0");
    }

    #[test]
    fn deep_nesting_prints_iteratively() {
        let mut v = Value::Nil;
        for _ in 0..100_000 {
            v = cons(v, Value::Nil);
        }
        let s = show(&v, true);
        assert_eq!(s.len(), 200_002);
    }
}
