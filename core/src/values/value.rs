//! The `Value` type every interpreter exchanges, and its Lua-compatible
//! rendering (`tostring` rules), so output agrees across the bridge.

use std::fmt;
use std::rc::Rc;

use crate::values::object::{ObjRef, Object};

/// A byte string. Any Lua string, binary ones included, round-trips
/// unchanged through it.
pub type Bytes = Rc<[u8]>;

/// A value: nil/undef, bool, integer, float, byte string or object.
///
/// Immediates need no heap allocation; strings and objects are reference
/// counted, so cloning a `Value` never copies a payload.
#[derive(Clone, Default)]
pub enum Value {
    /// Lua's `nil`, SMOP's undef.
    #[default]
    Nil,
    /// A boolean.
    Bool(bool),
    /// A 64-bit integer; arithmetic wraps as in Lua 5.4.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// A byte string.
    Str(Bytes),
    /// An object, shared by reference.
    Obj(ObjRef),
}

const _: () = assert!(std::mem::size_of::<Value>() == 24);

impl Value {
    /// Builds a string value from anything byte-like.
    pub fn str(s: impl AsRef<[u8]>) -> Value {
        Value::Str(Rc::from(s.as_ref()))
    }

    /// Wraps an object.
    pub fn obj<T: Object>(o: T) -> Value {
        Value::Obj(Rc::new(o))
    }

    /// False, nil/undef are false; everything else is true.
    #[inline]
    pub fn truthy(&self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }

    /// Whether the value is defined (not nil/undef).
    #[inline]
    pub fn is_defined(&self) -> bool {
        !matches!(self, Value::Nil)
    }

    /// The value model's own name for this value's type (`nil`,
    /// `boolean`, `integer`, `float`, `string`, or an object's
    /// [`Object::type_name`]). A message to a script names types in the
    /// script's own language instead: see [`crate::Cx::type_name`].
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::Obj(o) => o.type_name(),
        }
    }

    /// The object, if this value is one.
    pub fn as_obj(&self) -> Option<&ObjRef> {
        match self {
            Value::Obj(o) => Some(o),
            _ => None,
        }
    }

    /// Downcasts an object value to a concrete object type.
    pub fn downcast<T: Object>(&self) -> Option<&T> {
        let o: &dyn std::any::Any = &**self.as_obj()?;
        o.downcast_ref::<T>()
    }

    /// The bytes of a string value.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Identity for objects, value equality (Lua's raw `==`) for the rest.
    pub fn raw_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => {
                int_float_eq(*a, *b)
            }
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Obj(a), Value::Obj(b)) => crate::values::object::same_object(a, b),
            _ => false,
        }
    }

    /// Renders the value the way Lua 5.4's `tostring` does for immediates.
    /// Objects render as `Type(0xADDR)`; interpreters that want an object's
    /// own `Str` send it instead.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.render_into(&mut out);
        out
    }

    /// Appends [`Value::render`]'s bytes to `out`.
    pub fn render_into(&self, out: &mut Vec<u8>) {
        use std::io::Write;
        match self {
            Value::Nil => {}
            Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => out.extend_from_slice(format_float(*f).as_bytes()),
            Value::Str(s) => out.extend_from_slice(s),
            Value::Obj(o) => {
                let _ = write!(out, "{}({:p})", o.type_name(), Rc::as_ptr(o) as *const ());
            }
        }
    }
}

const TWO_63: f64 = 9_223_372_036_854_775_808.0;

/// Exact comparison of an integer with a float, as Lua does it.
pub fn int_float_eq(i: i64, f: f64) -> bool {
    if f.fract() != 0.0 || !f.is_finite() {
        return false;
    }
    // Floats in [-2^63, 2^63) convert exactly.
    (-TWO_63..TWO_63).contains(&f) && f as i64 == i
}

/// Formats a float as Lua 5.4 does (`%.14g`, plus `.0` when the result looks
/// like an integer).
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return if f.is_sign_negative() { "-nan" } else { "nan" }.to_owned();
    }
    if f.is_infinite() {
        return if f < 0.0 { "-inf" } else { "inf" }.to_owned();
    }
    let s = format_g(f, 14);
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        format!("{s}.0")
    } else {
        s
    }
}

/// C's `%.{prec}g` for finite floats.
fn format_g(f: f64, prec: usize) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Round to `prec` significant digits in scientific form to learn the exponent.
    let sci = format!("{:.*e}", prec - 1, f);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= prec as i32 {
        let m = trim_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{f:.decimals$}")).to_owned()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => f.write_str(&format_float(*x)),
            Value::Str(s) => write!(f, "{:?}", String::from_utf8_lossy(s)),
            Value::Obj(o) => write!(f, "{}", o.type_name()),
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::str(s)
    }
}
impl From<ObjRef> for Value {
    fn from(o: ObjRef) -> Value {
        Value::Obj(o)
    }
}

/// A value that may cross threads: the payload of an interrupt.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum SendValue {
    /// nil/undef
    #[default]
    Nil,
    /// a boolean
    Bool(bool),
    /// an integer
    Int(i64),
    /// a float
    Float(f64),
    /// a byte string
    Str(Vec<u8>),
}

impl SendValue {
    /// Converts into a run-loop value.
    pub fn into_value(self) -> Value {
        match self {
            SendValue::Nil => Value::Nil,
            SendValue::Bool(b) => Value::Bool(b),
            SendValue::Int(i) => Value::Int(i),
            SendValue::Float(f) => Value::Float(f),
            SendValue::Str(s) => Value::str(s),
        }
    }

    /// Converts an immediate value; objects have no thread-safe form.
    pub fn from_value(v: &Value) -> Option<SendValue> {
        Some(match v {
            Value::Nil => SendValue::Nil,
            Value::Bool(b) => SendValue::Bool(*b),
            Value::Int(i) => SendValue::Int(*i),
            Value::Float(f) => SendValue::Float(*f),
            Value::Str(s) => SendValue::Str(s.to_vec()),
            Value::Obj(_) => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_render_like_lua() {
        let cases = [
            (2.5, "2.5"),
            (3.0, "3.0"),
            (1e100, "1e+100"),
            (-0.0, "-0.0"),
            (0.1, "0.1"),
            (1.0 / 3.0, "0.33333333333333"),
            (123456789012345.0, "1.2345678901234e+14"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (f64::INFINITY, "inf"),
            (-f64::INFINITY, "-inf"),
            (100.0, "100.0"),
            (1e15, "1e+15"),
        ];
        for (f, want) in cases {
            assert_eq!(format_float(f), want, "{f}");
        }
    }

    #[test]
    fn truthiness_follows_lua() {
        assert!(!Value::Nil.truthy());
        assert!(!Value::Bool(false).truthy());
        assert!(Value::Int(0).truthy());
        assert!(Value::str("").truthy());
    }

    #[test]
    fn int_float_equality_is_exact() {
        assert!(Value::Int(3).raw_eq(&Value::Float(3.0)));
        assert!(!Value::Int(3).raw_eq(&Value::Float(3.5)));
        assert!(!Value::Int(i64::MAX).raw_eq(&Value::Float(TWO_63)));
    }
}
