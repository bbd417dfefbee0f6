//! Hand-off diagrams for `polyeval run --diagram`: a picture of a recorded
//! run ([`Segment`]s in time order) showing which interpreter ran, who
//! handed off to whom, who waited, and how control came back.
//!
//! This module owns the rendering only, as plain text for stderr
//! ([`render_text`]) or as a standalone SVG document ([`render_svg`]); the
//! recording belongs to `polyeval_core::record`. Rendering is pure and never
//! panics, whatever the segments say.
//!
//! The layout has one lane per interpreter (in order of first appearance)
//! and one cell per segment, time flowing left to right. Repeated blocks of
//! up to eight segments that have the same interpreter, entry and depth
//! change are folded into one group drawn once under a `[-- xN --]` bracket,
//! and a diagram still wider than 160 columns loses its middle to a single
//! `...(N segments)...` column. Every [`Entry::Call`] counts as a hand-off;
//! the header also says how many of them went from one interpreter to
//! another.
//!
//! This file owns the public entry points, the model both outputs share
//! (segments reduced to tokens, lanes and counts, the header line, the
//! folded columns) and the finished `Diagram`. The submodules own the
//! rest: `layout` places columns, connectors and the elided middle and
//! finds the waiting callers; `text` paints the diagram as a character
//! grid; `svg` draws it as SVG.

mod layout;
mod svg;
#[cfg(test)]
mod tests;
mod text;

use std::collections::HashMap;
use std::fmt::Write as _;

use polyeval_core::{Entry, Segment};

use layout::{choose_display, display, layout, wait_lines, Layout, Op};
use svg::{empty_svg, paint_svg};
use text::paint_text;

/// The widest a text diagram may get, lane labels included.
const MAX_WIDTH: usize = 160;
/// The longest block of segments folded into one repeated group.
const MAX_PERIOD: usize = 8;
/// How many characters of an interpreter name are shown.
const NAME_MAX: usize = 12;
/// How many characters of an interrupt handler kind are shown.
const KIND_MAX: usize = 16;
/// The group id of a column that is not in a folded group.
const NO_GROUP: usize = usize::MAX;

/// The last line of a text diagram.
const LEGEND: &str = "legend: -> step | call irq:K goto: hand-off, v ^ at callee | - - -> waits | \
                      ---+ return | err-+ ! unwind | inline: => call <= ret <! err ~> goto | [xN] N times";

/// Renders the diagram as text (for stderr).
pub fn render_text(segments: &[Segment]) -> String {
    match Diagram::build(segments) {
        Some(d) => paint_text(&d),
        None => "hand-off diagram: no steps\n".to_owned(),
    }
}

/// Renders the same diagram as a standalone SVG document.
pub fn render_svg(segments: &[Segment]) -> String {
    match Diagram::build(segments) {
        Some(d) => paint_svg(&d),
        None => empty_svg(),
    }
}

// ---------------------------------------------------------------------------
// The model: segments reduced to comparable tokens, lanes and counts.

/// How control reached a segment, with handler kinds interned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Start,
    Call,
    Handler(usize),
    Return,
    Unwind,
    Goto,
}

/// What folding compares: lane, entry and depth change, not step counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Token {
    lane: usize,
    kind: Kind,
    delta: i64,
}

/// Totals for the header line.
#[derive(Default)]
struct Stats {
    steps: u64,
    calls: u64,
    cross_calls: u64,
    unwinds: u64,
    /// Started handlers, by interned kind.
    handlers: Vec<u64>,
}

struct Model<'a> {
    segs: &'a [Segment],
    tokens: Vec<Token>,
    /// Shown interpreter names, by lane.
    lanes: Vec<String>,
    /// Shown handler kinds, by interned kind.
    kinds: Vec<String>,
    stats: Stats,
}

impl<'a> Model<'a> {
    fn new(segs: &'a [Segment]) -> Self {
        let mut lane_ids: HashMap<&'static str, usize> = HashMap::new();
        let mut kind_ids: HashMap<&'a str, usize> = HashMap::new();
        let mut m = Model {
            segs,
            tokens: Vec::with_capacity(segs.len()),
            lanes: Vec::new(),
            kinds: Vec::new(),
            stats: Stats::default(),
        };
        let mut prev: Option<(usize, u32)> = None;
        for s in segs {
            let lane = *lane_ids.entry(s.interp).or_insert_with(|| {
                m.lanes.push(clean(s.interp, NAME_MAX));
                m.lanes.len() - 1
            });
            let kind = match &s.entry {
                Entry::Start => Kind::Start,
                Entry::Call => Kind::Call,
                Entry::Return => Kind::Return,
                Entry::Unwind => Kind::Unwind,
                Entry::Goto => Kind::Goto,
                Entry::Handler(k) => {
                    Kind::Handler(*kind_ids.entry(k.as_str()).or_insert_with(|| {
                        m.kinds.push(clean(k, KIND_MAX));
                        m.stats.handlers.push(0);
                        m.kinds.len() - 1
                    }))
                }
            };
            let delta = prev.map_or(0, |(_, d)| i64::from(s.depth) - i64::from(d));
            m.stats.count(kind, lane, prev.map(|p| p.0), s.steps);
            m.tokens.push(Token { lane, kind, delta });
            prev = Some((lane, s.depth));
        }
        m
    }
}

impl Stats {
    fn count(&mut self, kind: Kind, lane: usize, prev_lane: Option<usize>, steps: u64) {
        self.steps = self.steps.saturating_add(steps);
        match kind {
            Kind::Call => {
                self.calls += 1;
                if prev_lane.is_some_and(|p| p != lane) {
                    self.cross_calls += 1;
                }
            }
            Kind::Handler(k) => {
                if let Some(n) = self.handlers.get_mut(k) {
                    *n += 1;
                }
            }
            Kind::Unwind => self.unwinds += 1,
            Kind::Start | Kind::Return | Kind::Goto => {}
        }
    }
}

/// A user-supplied name made safe for one ASCII line: printable ASCII only,
/// blanks as `_`, at most `max` characters (a cut one ends in `~`).
fn clean(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| match c {
            c if c.is_ascii_graphic() => c,
            c if c.is_whitespace() => '_',
            _ => '?',
        })
        .take(max + 1)
        .collect();
    if out.len() > max {
        out.truncate(max.saturating_sub(1));
        out.push('~');
    }
    if out.is_empty() {
        out.push('?');
    }
    out
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The first line: totals, and the handler kinds as far as they fit.
fn header(m: &Model) -> String {
    let st = &m.stats;
    let mut s = format!(
        "hand-off diagram: {} in {}, {} ({} between interpreters), {}",
        plural(st.steps, "step"),
        plural(m.segs.len() as u64, "segment"),
        plural(st.calls, "hand-off"),
        st.cross_calls,
        plural(st.handlers.iter().sum(), "interrupt handler"),
    );
    let unwinds = match st.unwinds {
        0 => String::new(),
        n => format!(", {}", plural(n, "error unwind")),
    };
    let room = MAX_WIDTH.saturating_sub(s.len() + unwinds.len() + " ()".len());
    let mut kinds = String::new();
    let mut listed = m.kinds.iter().zip(&st.handlers).peekable();
    while let Some((kind, n)) = listed.next() {
        let sep = if kinds.is_empty() { "" } else { ", " };
        let item = format!("{sep}{kind} x{n}");
        let more = if listed.peek().is_some() {
            ", ...".len()
        } else {
            0
        };
        if kinds.len() + item.len() + more > room {
            kinds.push_str(sep);
            kinds.push_str("...");
            break;
        }
        kinds.push_str(&item);
    }
    if !kinds.is_empty() {
        let _ = write!(s, " ({kinds})");
    }
    s + &unwinds
}

// ---------------------------------------------------------------------------
// Folding: the timeline as columns, repeated blocks drawn once.

/// One column of the folded timeline: segment `first`, and, in a group,
/// also `first + k * stride` for `k < reps`.
#[derive(Clone, Copy, Debug)]
struct Col {
    first: usize,
    stride: usize,
    reps: usize,
    group: usize,
}

/// Folds the tokens greedily from the left: at each position, the block of
/// 1..=8 tokens whose consecutive repetitions cover the most tokens becomes
/// a group. Each scan stops where its repetition breaks, so the work is
/// about `8 * n` comparisons.
fn fold(tokens: &[Token]) -> Vec<Col> {
    let mut cols = Vec::new();
    let mut groups = 0;
    let mut i = 0;
    while i < tokens.len() {
        let (p, r) = best_repeat(tokens, i);
        let group = if r >= 2 { groups } else { NO_GROUP };
        for j in 0..p {
            cols.push(Col {
                first: i + j,
                stride: p,
                reps: r,
                group,
            });
        }
        groups += usize::from(r >= 2);
        i += p * r;
    }
    cols
}

/// The (period, repetitions) covering most tokens from `i`; (1, 1) if no
/// block repeats.
fn best_repeat(t: &[Token], i: usize) -> (usize, usize) {
    let mut best = (1, 1);
    for p in 1..=MAX_PERIOD {
        if i + 2 * p > t.len() {
            break;
        }
        let mut e = i + p;
        while e < t.len() && t[e] == t[e - p] {
            e += 1;
        }
        let r = (e - i) / p;
        if r >= 2 && r * p > best.0 * best.1 {
            best = (p, r);
        }
    }
    best
}

/// Calls `f(segment, column)` for every segment, in time order.
fn for_each_seg(cols: &[Col], mut f: impl FnMut(usize, usize)) {
    let mut c = 0;
    while let Some(col) = cols.get(c) {
        let p = col.stride.max(1);
        for k in 0..p * col.reps {
            f(col.first + k, c + k % p);
        }
        c += p;
    }
}

/// The model with its folded columns, and the cell texts made so far.
struct Ctx<'a> {
    model: Model<'a>,
    cols: Vec<Col>,
    texts: HashMap<usize, String>,
}

impl Ctx<'_> {
    fn token(&self, c: usize) -> Token {
        self.model.tokens[self.cols[c].first]
    }

    fn lane(&self, c: usize) -> usize {
        self.token(c).lane
    }

    /// Whether columns `a` and `a + 1 == b` are drawn under one bracket.
    fn same_group(&self, a: usize, b: usize) -> bool {
        let g = self.cols[a].group;
        b == a + 1 && g != NO_GROUP && self.cols.get(b).is_some_and(|c| c.group == g)
    }

    fn text(&mut self, c: usize) -> String {
        if let Some(t) = self.texts.get(&c) {
            return t.clone();
        }
        let t = cell_text(&self.model.lanes[self.lane(c)], self.steps_range(c));
        self.texts.insert(c, t.clone());
        t
    }

    /// The fewest and most steps of the segments a column stands for.
    fn steps_range(&self, c: usize) -> (u64, u64) {
        let col = self.cols[c];
        (0..col.reps)
            .filter_map(|k| self.model.segs.get(col.first + k * col.stride))
            .fold((u64::MAX, 0), |(lo, hi), s| {
                (lo.min(s.steps), hi.max(s.steps))
            })
    }

    /// How many segments columns `range` stand for.
    fn segments_in(&self, range: std::ops::Range<usize>) -> u64 {
        self.cols
            .get(range)
            .map_or(0, |cs| cs.iter().map(|c| c.reps as u64).sum())
    }
}

/// `lua`, `lua -> lua`, `lua -> lua -> lua`, `lua x40`, or for a folded
/// column whose runs differ, `lua x2..40`.
fn cell_text(name: &str, (lo, hi): (u64, u64)) -> String {
    if lo != hi {
        return format!("{name} x{lo}..{hi}");
    }
    let n = match lo {
        1 => 1,
        2 => 2,
        3 => 3,
        _ => return format!("{name} x{lo}"),
    };
    vec![name; n].join(" -> ")
}

fn elided_text(segments: u64) -> String {
    let s = if segments == 1 { "" } else { "s" };
    format!("...({segments} segment{s})...")
}

// ---------------------------------------------------------------------------
// The diagram both painters draw.

struct Diagram {
    header: String,
    lanes: Vec<String>,
    layout: Layout,
    waits: Vec<(usize, usize, usize)>,
    brackets: bool,
}

impl Diagram {
    fn build(segments: &[Segment]) -> Option<Self> {
        if segments.is_empty() {
            return None;
        }
        let model = Model::new(segments);
        let cols = fold(&model.tokens);
        let mut ctx = Ctx {
            model,
            cols,
            texts: HashMap::new(),
        };
        let budget = MAX_WIDTH.saturating_sub(label_width(&ctx.model.lanes) + 3);
        let cut = choose_display(&mut ctx, budget);
        let disp = display(&ctx, cut.0, cut.1);
        let layout = layout(&mut ctx, &disp);
        let waits = wait_lines(&ctx, cut, &layout.place);
        let brackets = layout.ops.iter().any(|op| matches!(op, Op::Bracket { .. }));
        Some(Diagram {
            header: header(&ctx.model),
            lanes: ctx.model.lanes,
            layout,
            waits,
            brackets,
        })
    }

    /// The bracket row (if any), then per lane its cell row and, between
    /// lanes, two connector rows.
    fn rows(&self) -> usize {
        usize::from(self.brackets) + 3 * self.lanes.len() - 2
    }

    fn lane_row(&self, lane: usize) -> usize {
        usize::from(self.brackets) + 3 * lane
    }
}

fn label_width(lanes: &[String]) -> usize {
    lanes.iter().map(String::len).max().unwrap_or(0)
}
