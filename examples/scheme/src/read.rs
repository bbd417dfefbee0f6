//! The reader: turns source bytes into [`Datum`]s, each with the line and
//! column where it starts. Malformed input (unbalanced parentheses, bad
//! tokens, unterminated strings or block comments, nesting deeper than
//! [`MAX_DEPTH`]) is a compile error naming `file:line:col`.
//!
//! The reader keeps its open lists on a heap stack, not the native one, and
//! caps nesting so that the compiler, which recurses on nesting, stays well
//! inside any thread's stack.

use std::rc::Rc;

use polyeval_core::{ErrorKind, Ident, ScriptError};

/// The deepest nesting of lists and quote prefixes a program may have.
pub const MAX_DEPTH: usize = 200;

/// One datum of source text, with the position where it starts.
#[derive(Clone, Debug)]
pub struct Datum {
    /// What the datum is.
    pub kind: DatumKind,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
}

/// The kinds of datum the reader produces.
#[derive(Clone, Debug)]
pub enum DatumKind {
    /// An exact integer.
    Int(i64),
    /// An inexact number.
    Float(f64),
    /// A string literal, its escapes resolved.
    Str(Rc<[u8]>),
    /// `#t` or `#f`.
    Bool(bool),
    /// A symbol.
    Symbol(Ident),
    /// A list: its elements, and the tail after a dot for an improper one.
    List(Vec<Datum>, Option<Box<Datum>>),
}

impl Datum {
    /// The symbol this datum is, if it is one.
    pub fn symbol(&self) -> Option<Ident> {
        match self.kind {
            DatumKind::Symbol(s) => Some(s),
            _ => None,
        }
    }

    /// The elements of a proper list.
    pub fn list(&self) -> Option<&[Datum]> {
        match &self.kind {
            DatumKind::List(items, None) => Some(items),
            _ => None,
        }
    }
}

/// A reader error at `line:col` of `file`.
#[cold]
pub(crate) fn compile_error(file: &str, line: u32, col: u32, msg: &str) -> ScriptError {
    ScriptError::new(ErrorKind::Compile, format!("{file}:{line}:{col}: {msg}"))
}

/// What a prefix (`'`, `` ` ``, `,`, `,@`, `#;`) does to the next datum.
#[derive(Clone, Copy)]
enum Prefix {
    Wrap(&'static str),
    Skip,
}

struct Pending {
    prefix: Prefix,
    line: u32,
    col: u32,
}

/// A list being read.
struct Open {
    items: Vec<Datum>,
    tail: Option<Datum>,
    /// A dot was read and the tail datum is expected (or was read).
    dotted: bool,
    close: u8,
    line: u32,
    col: u32,
    /// Prefixes that apply to this list once it closes.
    wrap: Vec<Pending>,
    /// Prefixes read inside the list, waiting for their datum.
    pending: Vec<Pending>,
}

struct Reader<'a> {
    src: &'a [u8],
    file: &'a str,
    pos: usize,
    line: u32,
    col: u32,
    /// The error is only that the input ended too early.
    incomplete: bool,
}

/// Reads every datum of `src`.
///
/// # Errors
///
/// A [`ErrorKind::Compile`] error with `file:line:col` for malformed input.
pub fn read_all(src: &[u8], file: &str) -> Result<Vec<Datum>, ScriptError> {
    read_chunk(src, file).map_err(|(e, _)| e)
}

/// [`read_all`], saying with its error whether more input could complete
/// the text (an open list, string or comment, or a quote at the end).
pub(crate) fn read_chunk(src: &[u8], file: &str) -> Result<Vec<Datum>, (ScriptError, bool)> {
    let mut r = Reader {
        src,
        file,
        pos: 0,
        line: 1,
        col: 1,
        incomplete: false,
    };
    r.read_all().map_err(|e| (e, r.incomplete))
}

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'(' | b')' | b'[' | b']' | b'"' | b';' | b'\'')
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
            self.col = 1;
        } else if b & 0xC0 != 0x80 {
            self.col += 1;
        }
        Some(b)
    }

    #[cold]
    fn err(&self, line: u32, col: u32, msg: &str) -> ScriptError {
        compile_error(self.file, line, col, msg)
    }

    fn read_all(&mut self) -> Result<Vec<Datum>, ScriptError> {
        let mut top: Vec<Datum> = Vec::new();
        let mut top_pending: Vec<Pending> = Vec::new();
        let mut stack: Vec<Open> = Vec::new();
        // Nesting of the datum being read: open lists plus pending prefixes.
        let mut depth = 0usize;
        loop {
            self.skip_atmosphere()?;
            let (line, col) = (self.line, self.col);
            let Some(b) = self.peek() else { break };
            let datum = match b {
                b'(' | b'[' => {
                    self.bump();
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(self.err(line, col, "nesting too deep"));
                    }
                    let wrap = match stack.last_mut() {
                        Some(o) => std::mem::take(&mut o.pending),
                        None => std::mem::take(&mut top_pending),
                    };
                    let close = if b == b'(' { b')' } else { b']' };
                    stack.push(Open {
                        items: Vec::new(),
                        tail: None,
                        dotted: false,
                        close,
                        line,
                        col,
                        wrap,
                        pending: Vec::new(),
                    });
                    continue;
                }
                b')' | b']' => {
                    self.bump();
                    let Some(open) = stack.pop() else {
                        return Err(self.err(line, col, &format!("unexpected '{}'", b as char)));
                    };
                    if b != open.close {
                        return Err(self.err(
                            line,
                            col,
                            &format!(
                                "'{}' does not match the '{}' at {}:{}",
                                b as char,
                                if open.close == b')' { '(' } else { '[' },
                                open.line,
                                open.col
                            ),
                        ));
                    }
                    if let Some(p) = open.pending.first() {
                        return Err(self.err(p.line, p.col, "a prefix with no datum after it"));
                    }
                    if open.dotted && open.tail.is_none() {
                        return Err(self.err(line, col, "no datum after '.'"));
                    }
                    depth -= 1 + open.wrap.len();
                    let list = Datum {
                        kind: DatumKind::List(open.items, open.tail.map(Box::new)),
                        line: open.line,
                        col: open.col,
                    };
                    match apply_prefixes(list, open.wrap) {
                        Some(d) => d,
                        None => continue,
                    }
                }
                b'\'' | b'`' | b',' => {
                    self.bump();
                    let prefix = match b {
                        b'\'' => "quote",
                        b'`' => "quasiquote",
                        _ if self.peek() == Some(b'@') => {
                            self.bump();
                            "unquote-splicing"
                        }
                        _ => "unquote",
                    };
                    self.push_prefix(
                        &mut stack,
                        &mut top_pending,
                        &mut depth,
                        Prefix::Wrap(prefix),
                        line,
                        col,
                    )?;
                    continue;
                }
                b'#' if self.src.get(self.pos + 1) == Some(&b';') => {
                    self.bump();
                    self.bump();
                    self.push_prefix(
                        &mut stack,
                        &mut top_pending,
                        &mut depth,
                        Prefix::Skip,
                        line,
                        col,
                    )?;
                    continue;
                }
                b'"' => self.string(line, col)?,
                _ => match self.atom(line, col)? {
                    Some(d) => d,
                    None => {
                        // A lone dot inside a list.
                        let Some(open) = stack.last_mut() else {
                            return Err(self.err(line, col, "unexpected '.' outside a list"));
                        };
                        if open.dotted || open.items.is_empty() || !open.pending.is_empty() {
                            return Err(self.err(line, col, "unexpected '.'"));
                        }
                        open.dotted = true;
                        continue;
                    }
                },
            };
            // A complete datum: the prefixes read before it wrap it.
            let pending = match stack.last_mut() {
                Some(o) => std::mem::take(&mut o.pending),
                None => std::mem::take(&mut top_pending),
            };
            depth -= pending.len();
            let Some(datum) = apply_prefixes(datum, pending) else {
                continue;
            };
            match stack.last_mut() {
                None => top.push(datum),
                Some(open) if open.dotted => {
                    if open.tail.is_some() {
                        return Err(self.err(
                            datum.line,
                            datum.col,
                            "more than one datum after '.'",
                        ));
                    }
                    open.tail = Some(datum);
                }
                Some(open) => open.items.push(datum),
            }
        }
        self.incomplete = true;
        if let Some(open) = stack.last() {
            let c = if open.close == b')' { '(' } else { '[' };
            return Err(self.err(
                open.line,
                open.col,
                &format!(
                    "unbalanced '{c}': missing '{}' before the end of input",
                    open.close as char
                ),
            ));
        }
        if let Some(p) = top_pending.first() {
            return Err(self.err(p.line, p.col, "a prefix with no datum after it"));
        }
        self.incomplete = false;
        Ok(top)
    }

    fn push_prefix(
        &self,
        stack: &mut [Open],
        top_pending: &mut Vec<Pending>,
        depth: &mut usize,
        prefix: Prefix,
        line: u32,
        col: u32,
    ) -> Result<(), ScriptError> {
        *depth += 1;
        if *depth > MAX_DEPTH {
            return Err(self.err(line, col, "nesting too deep"));
        }
        let p = Pending { prefix, line, col };
        match stack.last_mut() {
            Some(o) => o.pending.push(p),
            None => top_pending.push(p),
        }
        Ok(())
    }

    /// Skips whitespace and comments (`;`, `#| |#`, nested).
    fn skip_atmosphere(&mut self) -> Result<(), ScriptError> {
        while let Some(b) = self.peek() {
            if b.is_ascii_whitespace() {
                self.bump();
            } else if b == b';' {
                while let Some(c) = self.bump() {
                    if c == b'\n' {
                        break;
                    }
                }
            } else if b == b'#' && self.src.get(self.pos + 1) == Some(&b'|') {
                let (line, col) = (self.line, self.col);
                self.bump();
                self.bump();
                let mut level = 1;
                while level > 0 {
                    match self.bump() {
                        None => {
                            self.incomplete = true;
                            return Err(self.err(line, col, "unterminated block comment"));
                        }
                        Some(b'|') if self.peek() == Some(b'#') => {
                            self.bump();
                            level -= 1;
                        }
                        Some(b'#') if self.peek() == Some(b'|') => {
                            self.bump();
                            level += 1;
                        }
                        Some(_) => {}
                    }
                }
            } else {
                break;
            }
        }
        Ok(())
    }

    fn string(&mut self, line: u32, col: u32) -> Result<Datum, ScriptError> {
        self.bump();
        let mut out = Vec::new();
        loop {
            let (l, c) = (self.line, self.col);
            match self.bump() {
                None => {
                    self.incomplete = true;
                    return Err(self.err(line, col, "unterminated string"));
                }
                Some(b'"') => break,
                Some(b'\\') => match self.bump() {
                    Some(b'n') => out.push(b'\n'),
                    Some(b't') => out.push(b'\t'),
                    Some(b'r') => out.push(b'\r'),
                    Some(b'0') => out.push(0),
                    Some(b'a') => out.push(7),
                    Some(b'\\') => out.push(b'\\'),
                    Some(b'"') => out.push(b'"'),
                    Some(b'\n') => {
                        while matches!(self.peek(), Some(b' ' | b'\t')) {
                            self.bump();
                        }
                    }
                    None => {
                        self.incomplete = true;
                        return Err(self.err(line, col, "unterminated string"));
                    }
                    Some(e) => {
                        return Err(self.err(
                            l,
                            c,
                            &format!("unknown escape '\\{}' in a string", e as char),
                        ))
                    }
                },
                Some(b) => out.push(b),
            }
        }
        Ok(Datum {
            kind: DatumKind::Str(Rc::from(out)),
            line,
            col,
        })
    }

    /// A number, boolean or symbol; `None` for a lone `.`.
    fn atom(&mut self, line: u32, col: u32) -> Result<Option<Datum>, ScriptError> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if is_delimiter(b) {
                break;
            }
            self.bump();
        }
        let tok = &self.src[start..self.pos];
        let kind = match tok {
            b"." => return Ok(None),
            b"#t" | b"#true" => DatumKind::Bool(true),
            b"#f" | b"#false" => DatumKind::Bool(false),
            _ if tok.first() == Some(&b'#') => {
                let shown = String::from_utf8_lossy(tok);
                return Err(self.err(line, col, &format!("bad token '{shown}'")));
            }
            _ => match parse_number(tok) {
                Some(k) => k,
                None => DatumKind::Symbol(Ident::from_bytes(tok)),
            },
        };
        Ok(Some(Datum { kind, line, col }))
    }
}

/// Wraps `d` in the quote forms of `prefixes`, innermost (last read) first;
/// `None` when a `#;` comments it out.
fn apply_prefixes(mut d: Datum, prefixes: Vec<Pending>) -> Option<Datum> {
    for p in prefixes.into_iter().rev() {
        match p.prefix {
            Prefix::Skip => return None,
            Prefix::Wrap(name) => {
                let head = Datum {
                    kind: DatumKind::Symbol(Ident::new(name)),
                    line: p.line,
                    col: p.col,
                };
                d = Datum {
                    kind: DatumKind::List(vec![head, d], None),
                    line: p.line,
                    col: p.col,
                };
            }
        }
    }
    Some(d)
}

/// Parses a numeric token: `[+-]digits`, decimals with an optional
/// exponent, and `+inf.0`, `-inf.0`, `+nan.0`. An integer too large for
/// 64 bits reads as an inexact number.
pub(crate) fn parse_number(tok: &[u8]) -> Option<DatumKind> {
    match tok {
        b"+inf.0" => return Some(DatumKind::Float(f64::INFINITY)),
        b"-inf.0" => return Some(DatumKind::Float(f64::NEG_INFINITY)),
        b"+nan.0" | b"-nan.0" => return Some(DatumKind::Float(f64::NAN)),
        _ => {}
    }
    let body = match tok.first() {
        Some(b'+' | b'-') => &tok[1..],
        _ => tok,
    };
    let (mant, exp) = match body.iter().position(|&b| b == b'e' || b == b'E') {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac) = match mant.iter().position(|&b| b == b'.') {
        Some(i) => (&mant[..i], Some(&mant[i + 1..])),
        None => (mant, None),
    };
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    if !digits(int_part) || !frac.is_none_or(digits) {
        return None;
    }
    if int_part.is_empty() && frac.is_none_or(<[u8]>::is_empty) {
        return None;
    }
    if let Some(e) = exp {
        let e = match e.first() {
            Some(b'+' | b'-') => &e[1..],
            _ => e,
        };
        if e.is_empty() || !digits(e) {
            return None;
        }
    }
    let text = std::str::from_utf8(tok).ok()?;
    if frac.is_none() && exp.is_none() {
        if let Ok(i) = text.parse::<i64>() {
            return Some(DatumKind::Int(i));
        }
    }
    text.parse::<f64>().ok().map(DatumKind::Float)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(src: &str) -> Result<Vec<Datum>, ScriptError> {
        read_all(src.as_bytes(), "t.scm")
    }

    #[test]
    fn reads_atoms_lists_and_positions() {
        let d = read("(define x 10)\n  'a \"s\\n\" 2.5 -3 #t . ").unwrap_err();
        assert!(d.message.starts_with("t.scm:2:22:"), "{}", d.message);
        let d = read("(define x 10)\n  'a \"s\\n\" (1 . 2) -3 #t").unwrap();
        assert_eq!(d.len(), 6);
        assert_eq!((d[1].line, d[1].col), (2, 3));
        assert!(matches!(&d[2].kind, DatumKind::Str(s) if &**s == b"s\n"));
        assert!(matches!(&d[3].kind, DatumKind::List(v, Some(_)) if v.len() == 1));
        assert!(matches!(d[4].kind, DatumKind::Int(-3)));
    }

    #[test]
    fn numbers_and_symbols() {
        assert!(matches!(parse_number(b"12"), Some(DatumKind::Int(12))));
        assert!(matches!(parse_number(b"1.5e3"), Some(DatumKind::Float(f)) if f == 1500.0));
        assert!(matches!(parse_number(b".5"), Some(DatumKind::Float(_))));
        assert!(matches!(
            parse_number(b"99999999999999999999"),
            Some(DatumKind::Float(_))
        ));
        for s in ["+", "-", "...", "1+", "inf", "nan", "e5", "1e", "."] {
            assert!(parse_number(s.as_bytes()).is_none(), "{s}");
        }
    }

    #[test]
    fn malformed_input_is_positioned() {
        let cases = [
            ("(a b", "t.scm:1:1: unbalanced '('"),
            ("a)", "t.scm:1:2: unexpected ')'"),
            ("(a]", "t.scm:1:3: ']' does not match"),
            ("\n  \"abc", "t.scm:2:3: unterminated string"),
            ("#q", "t.scm:1:1: bad token '#q'"),
            ("'", "t.scm:1:1: a prefix with no datum"),
            ("(1 . 2 3)", "t.scm:1:8: more than one datum"),
            ("#| x", "t.scm:1:1: unterminated block comment"),
            ("\"\\q\"", "t.scm:1:2: unknown escape"),
        ];
        for (src, want) in cases {
            let e = read(src).unwrap_err();
            assert!(e.message.starts_with(want), "{src:?}: {}", e.message);
            assert_eq!(e.kind, ErrorKind::Compile);
        }
    }

    #[test]
    fn comments_and_datum_comments() {
        let d = read("; c\n#| a #| nested |# |# 1 #;(2 3) 4 #;5").unwrap();
        assert_eq!(d.len(), 2);
    }

    #[test]
    fn incomplete_input_is_told_apart() {
        for src in ["(a", "\"ab", "#| x", "'", "(a \"\\"] {
            assert!(read_chunk(src.as_bytes(), "t").unwrap_err().1, "{src:?}");
        }
        for src in ["a)", "#q", "(a . )"] {
            assert!(!read_chunk(src.as_bytes(), "t").unwrap_err().1, "{src:?}");
        }
    }

    #[test]
    fn nesting_is_capped() {
        let deep = "(".repeat(MAX_DEPTH + 1);
        assert!(read(&deep)
            .unwrap_err()
            .message
            .contains("nesting too deep"));
        let ok = format!("{}{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(read(&ok).is_ok());
    }
}
