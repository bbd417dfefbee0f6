//! Assembler diagnostics: the public [`Diagnostic`] and [`Diagnostics`]
//! types, their rustc-like rendering through `codespan-reporting` (without
//! colour), and the internal [`Sink`] the lexer, parser and code generator
//! report into.
//!
//! Output is bounded whatever the input. The sink keeps the first
//! [`MAX_KEPT`] errors by position and counts the rest (rendered as one
//! `... and N more errors` line); messages and notes are clipped to
//! [`MAX_MESSAGE`] characters; and each quoted source line is a window of
//! at most [`CONTEXT_BEFORE`] + [`MAX_LABEL`] + [`CONTEXT_AFTER`]
//! characters around the error, with `...` where it was cut. The window is
//! handed to codespan-reporting as a one-line [`Files`] view that reports
//! the real line and column numbers, so the header keeps the true
//! `file:line:col` and the caret sits under the right character of the
//! clipped text.

use std::borrow::Cow;
use std::fmt;
use std::fmt::Write as _;
use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term::{self, Chars, Config};

use crate::mold::Pos;

/// At most this many diagnostics are kept for one compilation (the first
/// ones by position); the others are only counted.
pub(crate) const MAX_KEPT: usize = 50;

/// Messages and notes are clipped to this many characters.
pub(crate) const MAX_MESSAGE: usize = 200;

/// At most this many notes are kept per diagnostic.
const MAX_NOTES: usize = 4;

/// Names quoted in messages are shortened to this many characters.
const MAX_NAME: usize = 64;

/// Characters of the source line shown before the error's start.
pub(crate) const CONTEXT_BEFORE: usize = 40;

/// Characters of the error's own span shown at most; a longer span is cut
/// and followed by `...`.
pub(crate) const MAX_LABEL: usize = 60;

/// Characters of the source line shown after the error's span.
pub(crate) const CONTEXT_AFTER: usize = 40;

/// What marks a clipped end of a quoted line, message or name.
const ELLIPSIS: &str = "...";

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
    /// The error is that the input ended too soon (an unclosed `mold {`, a
    /// statement cut short): more input could complete it.
    pub at_end: bool,
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
    /// The errors; never empty when returned by [`super::compile`], and at
    /// most 50 of them: the first ones by position.
    pub items: Vec<Diagnostic>,
    /// How many more errors were found than `items` holds.
    pub omitted: usize,
}

impl Diagnostics {
    /// Whether every error is one of input that ended too soon
    /// ([`Diagnostic::at_end`]): more input could complete the source.
    pub fn incomplete(&self) -> bool {
        self.omitted == 0 && !self.items.is_empty() && self.items.iter().all(|d| d.at_end)
    }

    /// Renders the diagnostics the way rustc does, without colour:
    ///
    /// ```text
    /// error: undeclared register $x
    ///   --> main.m0ld:3:9
    ///   |
    /// 3 | $void = $x."say"();
    ///   |         ^^
    /// ```
    ///
    /// At most 50 are shown, then one `... and N more errors`
    /// line for the rest; a long source line is quoted as a window around
    /// the error (`...` marks where it is cut), so the text stays small
    /// whatever the size of the source.
    pub fn render(&self) -> String {
        let config = Config {
            chars: Chars::ascii(),
            ..Config::default()
        };
        let mut out = String::new();
        let shown = self.items.len().min(MAX_KEPT);
        for d in self.items.iter().take(shown) {
            let window = Window::new(&self.file, &self.source, d);
            let cs = CsDiagnostic::error()
                .with_message(clip(&d.message))
                .with_label(Label::primary((), window.label.clone()))
                .with_notes(
                    d.notes
                        .iter()
                        .take(MAX_NOTES)
                        .map(|n| clip(n).into_owned())
                        .collect(),
                );
            if term::emit_to_string(&mut out, &config, &window, &cs).is_err() {
                // The window always holds its label; keep a plain form
                // just in case.
                let _ = writeln!(
                    out,
                    "error: {}\n  --> {}:{}:{}\n",
                    clip(&d.message),
                    self.file,
                    d.line,
                    d.col
                );
            }
        }
        let more = self.omitted.saturating_add(self.items.len() - shown);
        if more > 0 {
            let s = if more == 1 { "" } else { "s" };
            let _ = writeln!(out, "... and {more} more error{s}");
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

/// The first `max` characters of `s` and an ellipsis, or all of `s`.
fn cut(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        Some((at, _)) => Cow::Owned(format!("{}{ELLIPSIS}", &s[..at])),
        None => Cow::Borrowed(s),
    }
}

/// A message or note clipped to [`MAX_MESSAGE`] characters.
fn clip(s: &str) -> Cow<'_, str> {
    cut(s, MAX_MESSAGE)
}

/// A name (of a register, a label, a literal's text) shortened for quoting
/// in a message.
pub(crate) fn shorten(name: &str) -> Cow<'_, str> {
    cut(name, MAX_NAME)
}

/// The part of one source line a diagnostic quotes, as a one-line file for
/// codespan-reporting. Its line and column numbers are the real ones.
struct Window<'a> {
    name: &'a str,
    /// The clipped line: an optional `...`, the source window, an optional
    /// `...`.
    text: String,
    /// The label's bytes in `text`.
    label: Range<usize>,
    /// The real 1-based line number.
    line: usize,
    /// The real 1-based column of the first source character in `text`.
    col_base: usize,
    /// The length of the leading ellipsis (0 when the line starts the
    /// window).
    prefix: usize,
}

impl<'a> Window<'a> {
    /// The window around `d`'s span in `src`. It costs time in proportion
    /// to the window, not to the line.
    fn new(name: &'a str, src: &str, d: &Diagnostic) -> Window<'a> {
        let span = clamp_span(src, &d.span);
        let start = span.start;
        // Up to CONTEXT_BEFORE characters back, not past the line start.
        let mut from = start;
        let mut before = 0;
        for (i, c) in src[..start].char_indices().rev() {
            if c == '\n' || before == CONTEXT_BEFORE {
                break;
            }
            from = i;
            before += 1;
        }
        // The label: up to MAX_LABEL characters, not past the line end.
        let mut label_end = start;
        let mut label_cut = false;
        for (n, (i, c)) in src[start..span.end].char_indices().enumerate() {
            if c == '\n' {
                break;
            }
            if n == MAX_LABEL {
                label_cut = true;
                break;
            }
            label_end = start + i + c.len_utf8();
        }
        // Up to CONTEXT_AFTER characters after it, unless the label is cut.
        let mut to = label_end;
        if !label_cut {
            for (n, (i, c)) in src[label_end..].char_indices().enumerate() {
                if c == '\n' || n == CONTEXT_AFTER {
                    break;
                }
                to = label_end + i + c.len_utf8();
            }
        }
        let rest = &src[to..];
        let cut_after = !(rest.is_empty()
            || rest.starts_with('\n')
            || rest.starts_with("\r\n")
            || rest == "\r");
        let cut_before = from > 0 && !src[..from].ends_with('\n');
        let prefix = if cut_before { ELLIPSIS.len() } else { 0 };
        let mut text = String::with_capacity(prefix + (to - from) + ELLIPSIS.len());
        if cut_before {
            text.push_str(ELLIPSIS);
        }
        text.push_str(&src[from..to]);
        if cut_after {
            text.push_str(ELLIPSIS);
        }
        Window {
            name,
            text,
            label: prefix + (start - from)..prefix + (label_end - from),
            line: d.line as usize,
            col_base: (d.col as usize).saturating_sub(before),
            prefix,
        }
    }
}

impl<'a> Files<'a> for Window<'_> {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, _: ()) -> Result<&'a str, FilesError> {
        Ok(self.name)
    }

    fn source(&'a self, _: ()) -> Result<&'a str, FilesError> {
        Ok(&self.text)
    }

    fn line_index(&'a self, _: (), _: usize) -> Result<usize, FilesError> {
        Ok(0)
    }

    fn line_number(&'a self, _: (), _: usize) -> Result<usize, FilesError> {
        Ok(self.line)
    }

    fn column_number(&'a self, _: (), _: usize, byte: usize) -> Result<usize, FilesError> {
        let chars = self
            .text
            .get(self.prefix.min(byte)..byte)
            .map_or(0, |t| t.chars().count());
        Ok(self.col_base.saturating_add(chars))
    }

    fn line_range(&'a self, _: (), line: usize) -> Result<Range<usize>, FilesError> {
        if line == 0 {
            Ok(0..self.text.len())
        } else {
            Err(FilesError::LineTooLarge {
                given: line,
                max: 0,
            })
        }
    }
}

/// Collects diagnostics during one compilation.
#[derive(Debug)]
pub(crate) struct Sink {
    file: String,
    /// The kept errors with the order they were reported in: the first
    /// [`MAX_KEPT`] by position.
    items: Vec<(usize, Diagnostic)>,
    /// How many errors were reported in all.
    total: usize,
}

impl Sink {
    /// An empty sink for `file`.
    pub(crate) fn new(file: &str) -> Sink {
        Sink {
            file: file.to_owned(),
            items: Vec::new(),
            total: 0,
        }
    }

    /// Records an error at `span`, which starts at `pos`. Past
    /// [`MAX_KEPT`] errors it is kept only if it comes before one already
    /// kept, which it then replaces; either way it is counted.
    #[cold]
    pub(crate) fn error(
        &mut self,
        span: Range<usize>,
        pos: Pos,
        message: impl Into<String>,
        notes: Vec<String>,
    ) {
        let seq = self.total;
        self.total = self.total.saturating_add(1);
        if self.items.len() >= MAX_KEPT {
            let last = self
                .items
                .iter()
                .enumerate()
                .max_by_key(|(_, (q, d))| (d.line, d.col, *q))
                .map(|(i, (q, d))| (i, (d.line, d.col, *q)));
            match last {
                Some((i, key)) if (pos.line, pos.col, seq) < key => {
                    self.items.swap_remove(i);
                }
                _ => return,
            }
        }
        let message: String = message.into();
        self.items.push((
            seq,
            Diagnostic {
                message: clip(&message).into_owned(),
                file: self.file.clone(),
                line: pos.line,
                col: pos.col,
                span,
                notes: notes
                    .iter()
                    .take(MAX_NOTES)
                    .map(|n| clip(n).into_owned())
                    .collect(),
                at_end: false,
            },
        ));
    }

    /// Marks the error just reported as one of input that ended too soon
    /// ([`Diagnostic::at_end`]).
    pub(crate) fn mark_at_end(&mut self) {
        let seq = self.total.saturating_sub(1);
        if let Some((_, d)) = self.items.iter_mut().find(|(q, _)| *q == seq) {
            d.at_end = true;
        }
    }

    /// Whether anything was reported.
    pub(crate) fn has_errors(&self) -> bool {
        self.total > 0
    }

    /// The collected errors, sorted by position, as [`Diagnostics`].
    pub(crate) fn finish(mut self, source: &str) -> Diagnostics {
        self.items.sort_by_key(|(q, d)| (d.line, d.col, *q));
        let omitted = self.total - self.items.len();
        Diagnostics {
            file: self.file,
            source: source.to_owned(),
            items: self.items.into_iter().map(|(_, d)| d).collect(),
            omitted,
        }
    }
}
