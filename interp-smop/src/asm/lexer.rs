//! The m0ld lexer: turns source text into [`Token`]s with byte spans and
//! 1-based line/column positions, reporting malformed input (stray
//! characters, bad escapes, unterminated strings, out-of-range numbers) as
//! diagnostics and an [`TokenKind::Error`] token the parser skips quietly.

use std::ops::Range;

use crate::mold::Pos;

use super::diag::{shorten, Sink};

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// `$name`; the name is stored without the `$`.
    Reg(String),
    /// A bare word that is not a keyword (a label).
    Word(String),
    /// `my`.
    My,
    /// `goto`.
    Goto,
    /// `if`.
    If,
    /// `else`.
    Else,
    /// `noop`.
    Noop,
    /// `mold`.
    Mold,
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
    /// A string literal's bytes, escapes resolved.
    Str(Vec<u8>),
    /// `=`.
    Assign,
    /// `.`.
    Dot,
    /// `,`.
    Comma,
    /// `:`.
    Colon,
    /// `;`.
    Semi,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `{`.
    LBrace,
    /// `}`.
    RBrace,
    /// Something the lexer already reported; the parser recovers silently.
    Error,
    /// The end of the input.
    Eof,
}

impl TokenKind {
    /// How a diagnostic names this token.
    pub(crate) fn describe(&self) -> String {
        match self {
            TokenKind::Reg(n) => format!("register `${}`", shorten(n)),
            TokenKind::Word(w) => format!("`{}`", shorten(w)),
            TokenKind::My => "keyword `my`".into(),
            TokenKind::Goto => "keyword `goto`".into(),
            TokenKind::If => "keyword `if`".into(),
            TokenKind::Else => "keyword `else`".into(),
            TokenKind::Noop => "keyword `noop`".into(),
            TokenKind::Mold => "keyword `mold`".into(),
            TokenKind::Int(_) => "integer literal".into(),
            TokenKind::Float(_) => "float literal".into(),
            TokenKind::Str(_) => "string literal".into(),
            TokenKind::Assign => "`=`".into(),
            TokenKind::Dot => "`.`".into(),
            TokenKind::Comma => "`,`".into(),
            TokenKind::Colon => "`:`".into(),
            TokenKind::Semi => "`;`".into(),
            TokenKind::LParen => "`(`".into(),
            TokenKind::RParen => "`)`".into(),
            TokenKind::LBrace => "`{`".into(),
            TokenKind::RBrace => "`}`".into(),
            TokenKind::Error => "invalid token".into(),
            TokenKind::Eof => "end of input".into(),
        }
    }
}

/// A token with its byte span and the position of its first character.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Its bytes in the source.
    pub span: Range<usize>,
    /// Where it starts.
    pub pos: Pos,
}

/// A cursor over the source that tracks line and column as it advances.
struct Cursor<'a> {
    src: &'a str,
    /// Byte offset, always on a char boundary.
    at: usize,
    line: u32,
    col: u32,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<char> {
        self.src.get(self.at..)?.chars().next()
    }

    fn peek2(&self) -> Option<char> {
        let mut it = self.src.get(self.at..)?.chars();
        it.next();
        it.next()
    }

    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += c.len_utf8();
        if c == '\n' {
            self.line = self.line.saturating_add(1);
            self.col = 1;
        } else {
            self.col = self.col.saturating_add(1);
        }
        Some(c)
    }

    /// Consumes characters while `f` holds.
    fn eat_while(&mut self, f: impl Fn(char) -> bool) {
        while self.peek().is_some_and(&f) {
            self.bump();
        }
    }

    fn text(&self, span: Range<usize>) -> &'a str {
        self.src.get(span).unwrap_or("")
    }
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Splits `src` into tokens, ending with [`TokenKind::Eof`]. Problems go to
/// `sink`.
pub(crate) fn lex(src: &str, sink: &mut Sink) -> Vec<Token> {
    let mut cur = Cursor {
        src,
        at: 0,
        line: 1,
        col: 1,
    };
    let mut out = Vec::new();
    loop {
        // Whitespace and comments.
        loop {
            match cur.peek() {
                Some(c) if c.is_whitespace() => {
                    cur.bump();
                }
                Some('#') => cur.eat_while(|c| c != '\n'),
                _ => break,
            }
        }
        let start = cur.at;
        let pos = cur.pos();
        let Some(c) = cur.bump() else {
            out.push(Token {
                kind: TokenKind::Eof,
                span: start..start,
                pos,
            });
            return out;
        };
        let kind = match c {
            '=' => TokenKind::Assign,
            '.' => TokenKind::Dot,
            ',' => TokenKind::Comma,
            ':' => TokenKind::Colon,
            ';' => TokenKind::Semi,
            '(' => TokenKind::LParen,
            ')' => TokenKind::RParen,
            '{' => TokenKind::LBrace,
            '}' => TokenKind::RBrace,
            '"' => lex_string(&mut cur, start, pos, sink),
            '$' => {
                if cur.peek().is_some_and(is_word_start) {
                    let name_start = cur.at;
                    cur.eat_while(is_word_char);
                    TokenKind::Reg(cur.text(name_start..cur.at).to_owned())
                } else {
                    sink.error(
                        start..cur.at,
                        pos,
                        "expected a register name after `$`",
                        vec!["register names look like `$name`: a letter or `_`, then letters, digits or `_`".into()],
                    );
                    TokenKind::Error
                }
            }
            '-' if cur.peek().is_some_and(|c| c.is_ascii_digit()) => {
                lex_number(&mut cur, start, pos, sink)
            }
            c if c.is_ascii_digit() => lex_number(&mut cur, start, pos, sink),
            c if is_word_start(c) => {
                cur.eat_while(is_word_char);
                match cur.text(start..cur.at) {
                    "my" => TokenKind::My,
                    "goto" => TokenKind::Goto,
                    "if" => TokenKind::If,
                    "else" => TokenKind::Else,
                    "noop" => TokenKind::Noop,
                    "mold" => TokenKind::Mold,
                    w => TokenKind::Word(w.to_owned()),
                }
            }
            other => {
                sink.error(
                    start..cur.at,
                    pos,
                    format!("unexpected character `{}`", other.escape_debug()),
                    Vec::new(),
                );
                TokenKind::Error
            }
        };
        out.push(Token {
            kind,
            span: start..cur.at,
            pos,
        });
    }
}

/// Lexes a number whose first character (a digit or `-`) is consumed.
fn lex_number(cur: &mut Cursor<'_>, start: usize, pos: Pos, sink: &mut Sink) -> TokenKind {
    cur.eat_while(|c| c.is_ascii_digit());
    let mut float = false;
    if cur.peek() == Some('.') && cur.peek2().is_some_and(|c| c.is_ascii_digit()) {
        float = true;
        cur.bump();
        cur.eat_while(|c| c.is_ascii_digit());
    }
    if matches!(cur.peek(), Some('e' | 'E')) {
        let after = cur.peek2();
        let exponent = match after {
            Some(c) if c.is_ascii_digit() => true,
            Some('+' | '-') => {
                let rest = cur.src.get(cur.at..).unwrap_or("");
                rest.chars().nth(2).is_some_and(|c| c.is_ascii_digit())
            }
            _ => false,
        };
        if exponent {
            float = true;
            cur.bump();
            if matches!(cur.peek(), Some('+' | '-')) {
                cur.bump();
            }
            cur.eat_while(|c| c.is_ascii_digit());
        }
    }
    if cur.peek().is_some_and(is_word_char) {
        cur.eat_while(is_word_char);
        sink.error(
            start..cur.at,
            pos,
            format!(
                "invalid number literal `{}`",
                shorten(cur.text(start..cur.at))
            ),
            Vec::new(),
        );
        return TokenKind::Error;
    }
    let text = cur.text(start..cur.at);
    if float {
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => TokenKind::Float(f),
            _ => {
                sink.error(
                    start..cur.at,
                    pos,
                    format!("float literal `{}` is out of range", shorten(text)),
                    Vec::new(),
                );
                TokenKind::Float(0.0)
            }
        }
    } else {
        match text.parse::<i64>() {
            Ok(i) => TokenKind::Int(i),
            Err(_) => {
                sink.error(
                    start..cur.at,
                    pos,
                    format!(
                        "integer literal `{}` does not fit in 64 bits",
                        shorten(text)
                    ),
                    vec![format!("integers range from {} to {}", i64::MIN, i64::MAX)],
                );
                TokenKind::Int(0)
            }
        }
    }
}

/// Lexes a string literal whose opening quote is consumed.
fn lex_string(cur: &mut Cursor<'_>, start: usize, pos: Pos, sink: &mut Sink) -> TokenKind {
    let mut bytes = Vec::new();
    loop {
        let esc_start = cur.at;
        let esc_pos = cur.pos();
        let Some(c) = cur.bump() else {
            sink.error(
                start..start + 1,
                pos,
                "unterminated string literal",
                vec!["the string starts here and has no closing `\"`".into()],
            );
            return TokenKind::Error;
        };
        match c {
            '"' => break,
            '\\' => {
                let escaped = cur.bump();
                let byte = match escaped {
                    Some('n') => Some(b'\n'),
                    Some('t') => Some(b'\t'),
                    Some('r') => Some(b'\r'),
                    Some('0') => Some(0),
                    Some('\\') => Some(b'\\'),
                    Some('"') => Some(b'"'),
                    Some('x') => {
                        let hi = cur.peek().and_then(|c| c.to_digit(16));
                        let lo = cur.peek2().and_then(|c| c.to_digit(16));
                        match (hi, lo) {
                            (Some(hi), Some(lo)) => {
                                cur.bump();
                                cur.bump();
                                u8::try_from(hi * 16 + lo).ok()
                            }
                            _ => {
                                sink.error(
                                    esc_start..cur.at,
                                    esc_pos,
                                    "invalid `\\x` escape: expected two hex digits",
                                    vec!["write a byte as `\\xHH`, e.g. `\\xff`".into()],
                                );
                                None
                            }
                        }
                    }
                    // An unterminated string; the next round reports it.
                    None => None,
                    Some(other) => {
                        sink.error(
                            esc_start..cur.at,
                            esc_pos,
                            format!("unknown escape `\\{}`", other.escape_debug()),
                            vec!["valid escapes are \\n \\t \\r \\0 \\\\ \\\" and \\xHH".into()],
                        );
                        None
                    }
                };
                bytes.extend(byte);
            }
            c => {
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    // A bad escape is already reported; the literal stays usable so the
    // parser does not report follow-up errors.
    TokenKind::Str(bytes)
}
