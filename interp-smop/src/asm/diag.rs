//! Assembler diagnostics: the public [`Diagnostic`] and [`Diagnostics`]
//! types, their rustc-like rendering through `codespan-reporting` (without
//! colour), and the internal [`Sink`] the lexer, parser and code generator
//! report into.

use std::fmt;
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, Chars, Config};

use crate::mold::Pos;

/// At most this many diagnostics are kept for one compilation.
const MAX_ERRORS: usize = 100;

/// One assembler error.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// What is wrong.
    pub message: String,
    /// The file (or chunk) name.
    pub file: String,
    /// 1-based line of the span's start.
    pub line: u32,
    /// 1-based column (in characters) of the span's start.
    pub col: u32,
    /// The byte range in the source the error points at.
    pub span: Range<usize>,
    /// Extra explanations, shown as `= note` lines.
    pub notes: Vec<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

/// All the errors of one failed compilation, with the source they point
/// into, sorted by position.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    /// The file (or chunk) name.
    pub file: String,
    /// The whole source text.
    pub source: String,
    /// The errors; never empty when returned by [`super::compile`].
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Renders every diagnostic the way rustc does, without colour:
    ///
    /// ```text
    /// error: undeclared register $x
    ///   --> main.m0ld:3:9
    ///   |
    /// 3 | $void = $x."say"();
    ///   |         ^^
    /// ```
    pub fn render(&self) -> String {
        let files = SimpleFile::new(self.file.as_str(), self.source.as_str());
        let config = Config {
            chars: Chars::ascii(),
            ..Config::default()
        };
        let mut out = String::new();
        for d in &self.items {
            let span = clamp_span(&self.source, &d.span);
            let cs = CsDiagnostic::error()
                .with_message(&d.message)
                .with_label(Label::primary((), span))
                .with_notes(d.notes.clone());
            if term::emit_to_string(&mut out, &config, &files, &cs).is_err() {
                // Rendering only fails for spans outside the file, which
                // `clamp_span` rules out; keep a plain form just in case.
                out.push_str(&format!("error: {}\n  --> {d}\n", d.message));
            }
        }
        out
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.items.first() {
            Some(d) => d.fmt(f),
            None => write!(f, "{}: compilation failed", self.file),
        }
    }
}

impl std::error::Error for Diagnostics {}

/// Moves a span inside `src` and onto character boundaries.
fn clamp_span(src: &str, span: &Range<usize>) -> Range<usize> {
    let floor = |mut i: usize| {
        i = i.min(src.len());
        while !src.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(span.start);
    let end = floor(span.end).max(start);
    start..end
}

/// Collects diagnostics during one compilation.
#[derive(Debug)]
pub(crate) struct Sink {
    file: String,
    items: Vec<Diagnostic>,
}

impl Sink {
    /// An empty sink for `file`.
    pub(crate) fn new(file: &str) -> Sink {
        Sink {
            file: file.to_owned(),
            items: Vec::new(),
        }
    }

    /// Records an error at `span`, which starts at `pos`.
    pub(crate) fn error(
        &mut self,
        span: Range<usize>,
        pos: Pos,
        message: impl Into<String>,
        notes: Vec<String>,
    ) {
        if self.items.len() >= MAX_ERRORS {
            return;
        }
        self.items.push(Diagnostic {
            message: message.into(),
            file: self.file.clone(),
            line: pos.line,
            col: pos.col,
            span,
            notes,
        });
    }

    /// Whether anything was reported.
    pub(crate) fn has_errors(&self) -> bool {
        !self.items.is_empty()
    }

    /// The collected errors, sorted by position, as [`Diagnostics`].
    pub(crate) fn finish(mut self, source: &str) -> Diagnostics {
        self.items.sort_by_key(|d| (d.line, d.col));
        Diagnostics {
            file: self.file,
            source: source.to_owned(),
            items: self.items,
        }
    }
}
