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

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use polyeval_core::{Entry, Segment};

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
/// Grid bytes for a waiting caller's dashes and arrowhead while painting;
/// they become `-` and `>` on output, and may be repainted.
const WAIT_DASH: u8 = 1;
const WAIT_HEAD: u8 = 2;

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
// Layout: character positions for everything drawn, shared by both outputs.

/// One thing to draw. `x` values are character columns; lanes are indices.
#[derive(Clone, Debug)]
enum Op {
    /// A segment's cell.
    Cell { lane: usize, x: usize, text: String },
    /// The caller-side label of a hand-off to another lane: `call`,
    /// `irq:KIND` or `goto`.
    Marker { lane: usize, x: usize, text: String },
    /// The arrow ` ---> ` from a cell to its marker, over `x0..x1`.
    Lead { lane: usize, x0: usize, x1: usize },
    /// A connector between two cells of one lane, starting at `x0`.
    Inline {
        lane: usize,
        x0: usize,
        text: String,
    },
    /// The leg ` ---+` (or ` err-+`) of a return, from `x0` to the `+` at `x1`.
    Back {
        lane: usize,
        x0: usize,
        x1: usize,
        unwind: bool,
    },
    /// A vertical connector at `x`, arrowhead at lane `to`.
    Vert {
        x: usize,
        from: usize,
        to: usize,
        unwind: bool,
    },
    /// A folded group's bracket over `x0..x1`.
    Bracket { x0: usize, x1: usize, reps: usize },
    /// The elided middle.
    Elided { x: usize, segments: u64 },
}

/// One displayed item: a column, or the elided middle.
#[derive(Clone, Copy, Debug)]
enum Disp {
    Col(usize),
    Elided(u64),
}

#[derive(Default)]
struct Layout {
    ops: Vec<Op>,
    /// Start and width of each displayed item.
    place: Vec<(usize, usize)>,
    width: usize,
}

/// Where things may go next while laying out.
struct Cursor {
    /// The first free column of each lane's row.
    lane_end: Vec<usize>,
    /// The least start of the next cell (after a bracket or the elision).
    min_next: usize,
    /// The previous cell's lane and end, unless it was elided.
    prev: Option<(usize, usize)>,
    /// Where the current group's bracket starts.
    run_start: usize,
    right: usize,
}

impl Cursor {
    fn new(lanes: usize) -> Self {
        Self {
            lane_end: vec![0; lanes],
            min_next: 0,
            prev: None,
            run_start: 0,
            right: 0,
        }
    }

    fn right(&self) -> usize {
        self.lane_end.iter().copied().fold(self.right, usize::max)
    }

    /// The least column a vertical between lanes `a` and `b` may use.
    fn crossing(&self, a: usize, b: usize) -> usize {
        self.lane_end
            .get(a.min(b) + 1..a.max(b))
            .and_then(|between| between.iter().copied().max())
            .unwrap_or(0)
    }

    /// Marks the lanes strictly between `a` and `b` as used up to `end`.
    fn cross(&mut self, a: usize, b: usize, end: usize) {
        if let Some(between) = self.lane_end.get_mut(a.min(b) + 1..a.max(b)) {
            between.iter_mut().for_each(|e| *e = (*e).max(end));
        }
    }
}

fn layout(ctx: &mut Ctx, disp: &[Disp]) -> Layout {
    let mut cur = Cursor::new(ctx.model.lanes.len());
    let mut out = Layout::default();
    for (i, d) in disp.iter().enumerate() {
        match *d {
            Disp::Elided(n) => place_elided(&mut cur, &mut out, n),
            Disp::Col(c) => {
                let starts = i == 0 || !matches!(disp[i - 1], Disp::Col(p) if ctx.same_group(p, c));
                let ends = !matches!(disp.get(i + 1), Some(&Disp::Col(q)) if ctx.same_group(c, q));
                place_col(ctx, &mut cur, &mut out, c, starts);
                if ends && ctx.cols[c].group != NO_GROUP {
                    place_bracket(&mut cur, &mut out, ctx.cols[c].reps);
                }
            }
        }
    }
    out.width = cur.right();
    out
}

fn place_col(ctx: &mut Ctx, cur: &mut Cursor, out: &mut Layout, c: usize, starts_run: bool) {
    let Token { lane, kind, .. } = ctx.token(c);
    let text = ctx.text(c);
    let x = match cur.prev {
        None => cur.min_next.max(cur.lane_end[lane]),
        Some((a, e)) if a == lane => connect_inline(ctx, cur, out, lane, e, kind),
        Some((a, e)) => match kind {
            Kind::Return => connect_back(cur, out, (a, lane), e, false),
            Kind::Unwind => connect_back(cur, out, (a, lane), e, true),
            _ => connect_handoff(ctx, cur, out, (a, lane), e, kind),
        },
    };
    if starts_run {
        cur.run_start = x;
    }
    let end = x + text.len();
    cur.lane_end[lane] = end;
    cur.prev = Some((lane, end));
    out.place.push((x, text.len()));
    out.ops.push(Op::Cell { lane, x, text });
}

/// The parts of a same-lane connector: left end, fill, right end.
fn inline_parts(kind: Kind, kinds: &[String]) -> (String, char, &'static str) {
    match kind {
        Kind::Call => (" ".into(), '=', "> "),
        Kind::Handler(k) => (
            format!(" =irq:{}", kinds.get(k).map_or("?", String::as_str)),
            '=',
            "> ",
        ),
        Kind::Return => (" <".into(), '=', " "),
        Kind::Unwind => (" <".into(), '!', " "),
        Kind::Start | Kind::Goto => (" ".into(), '~', "> "),
    }
}

/// Places `smop => smop` and the like; returns the next cell's column.
fn connect_inline(
    ctx: &Ctx,
    cur: &mut Cursor,
    out: &mut Layout,
    lane: usize,
    e: usize,
    kind: Kind,
) -> usize {
    let (left, fill, right) = inline_parts(kind, &ctx.model.kinds);
    let e = e.max(cur.lane_end[lane]);
    let x = (e + left.len() + 1 + right.len()).max(cur.min_next);
    let fills = x - e - left.len() - right.len();
    let text = format!("{left}{}{right}", fill.to_string().repeat(fills));
    out.ops.push(Op::Inline { lane, x0: e, text });
    x
}

/// Places ` -> call` in lane `from` and the vertical down or up to lane
/// `to`; returns the callee cell's column.
fn connect_handoff(
    ctx: &Ctx,
    cur: &mut Cursor,
    out: &mut Layout,
    (from, to): (usize, usize),
    e: usize,
    kind: Kind,
) -> usize {
    let marker = match kind {
        Kind::Call => "call".to_owned(),
        Kind::Handler(k) => format!("irq:{}", ctx.model.kinds.get(k).map_or("?", String::as_str)),
        _ => "goto".to_owned(),
    };
    let e = e.max(cur.lane_end[from]);
    let x = (e + 4)
        .max(cur.lane_end[to] + 1)
        .max(cur.min_next)
        .max(cur.crossing(from, to));
    out.ops.push(Op::Lead {
        lane: from,
        x0: e,
        x1: x,
    });
    cur.lane_end[from] = x + marker.len();
    out.ops.push(Op::Marker {
        lane: from,
        x,
        text: marker,
    });
    out.ops.push(Op::Vert {
        x: x + 1,
        from,
        to,
        unwind: false,
    });
    cur.cross(from, to, x + 2);
    x
}

/// Places ` ---+` in lane `from` and the vertical to lane `to`; returns
/// the resumed cell's column.
fn connect_back(
    cur: &mut Cursor,
    out: &mut Layout,
    (from, to): (usize, usize),
    e: usize,
    unwind: bool,
) -> usize {
    let leg = if unwind { "err-" } else { "---" };
    let e = e.max(cur.lane_end[from]);
    let x = (e + 1 + leg.len())
        .max(cur.lane_end[to] + 1)
        .max(cur.min_next)
        .max(cur.crossing(from, to));
    out.ops.push(Op::Back {
        lane: from,
        x0: e,
        x1: x,
        unwind,
    });
    cur.lane_end[from] = x + 1;
    out.ops.push(Op::Vert {
        x,
        from,
        to,
        unwind,
    });
    cur.cross(from, to, x + 1);
    x
}

fn bracket_label(reps: usize) -> String {
    format!(" x{reps} ")
}

/// Closes the current group with its bracket, at least wide enough for
/// its label.
fn place_bracket(cur: &mut Cursor, out: &mut Layout, reps: usize) {
    let x0 = cur.run_start;
    let cells_end = cur.prev.map_or(x0, |p| p.1);
    let x1 = cells_end.max(x0 + bracket_label(reps).len() + 4);
    out.ops.push(Op::Bracket { x0, x1, reps });
    cur.min_next = cur.min_next.max(x1 + 1);
    cur.right = cur.right.max(x1);
}

fn place_elided(cur: &mut Cursor, out: &mut Layout, segments: u64) {
    let x = match cur.right() {
        0 => 0,
        r => r + 2,
    };
    let end = x + elided_text(segments).len();
    out.ops.push(Op::Elided { x, segments });
    out.place.push((x, end - x));
    cur.lane_end.iter_mut().for_each(|e| *e = end);
    cur.min_next = end + 2;
    cur.prev = None;
}

// ---------------------------------------------------------------------------
// Elision: which columns are shown.

/// The shown columns: `0..h` and `t..`, with the middle elided when
/// `h < t`. Without elision, `h == t == cols.len()`.
fn choose_display(ctx: &mut Ctx, budget: usize) -> (usize, usize) {
    let n = ctx.cols.len();
    // Every column after the first takes at least five characters, so a
    // prefix this long cannot fit unless it is everything.
    let probe: Vec<Disp> = (0..n.min(budget / 4 + 2)).map(Disp::Col).collect();
    let lay = layout(ctx, &probe);
    if probe.len() == n && lay.width <= budget {
        return (n, n);
    }
    let elided_w = elided_text(ctx.model.segs.len() as u64).len() + 4;
    let half = budget.saturating_sub(elided_w) / 2;
    let h = lay
        .place
        .iter()
        .take_while(|&&(x, w)| x + w <= half)
        .count()
        .max(1);
    let mut t = n;
    while t > h + 1 {
        let tail: Vec<Disp> = (t - 1..n).map(Disp::Col).collect();
        if layout(ctx, &tail).width > budget.saturating_sub(elided_w + half) {
            break;
        }
        t -= 1;
    }
    let (h, t) = (snap_head(ctx, h), snap_tail(ctx, t));
    fit(ctx, budget, h, t.max(h + 1))
}

/// Moves a head cut that would split a group back to the group's start.
fn snap_head(ctx: &Ctx, h: usize) -> usize {
    let mut s = h;
    while s > 0 && s < ctx.cols.len() && ctx.same_group(s - 1, s) {
        s -= 1;
    }
    if s == 0 || s >= ctx.cols.len() {
        h
    } else {
        s
    }
}

/// Moves a tail cut that would split a group forward to the group's end.
fn snap_tail(ctx: &Ctx, t: usize) -> usize {
    let mut e = t;
    while e > 0 && e < ctx.cols.len() && ctx.same_group(e - 1, e) {
        e += 1;
    }
    if e >= ctx.cols.len() {
        t
    } else {
        e
    }
}

/// Shrinks the head or the tail until the elided layout fits.
fn fit(ctx: &mut Ctx, budget: usize, mut h: usize, mut t: usize) -> (usize, usize) {
    let n = ctx.cols.len();
    loop {
        let disp = display(ctx, h, t);
        if layout(ctx, &disp).width <= budget || (h == 0 && t >= n) {
            return (h, t.min(n));
        }
        if h > 0 && (h >= n - t.min(n) || t >= n) {
            h -= 1;
        } else {
            t += 1;
        }
    }
}

fn display(ctx: &Ctx, h: usize, t: usize) -> Vec<Disp> {
    let n = ctx.cols.len();
    let mut d: Vec<Disp> = (0..h.min(n)).map(Disp::Col).collect();
    if h < t {
        d.push(Disp::Elided(ctx.segments_in(h..t.min(n))));
    }
    d.extend((t.min(n)..n).map(Disp::Col));
    d
}

// ---------------------------------------------------------------------------
// Waiting callers: from a hand-off to the cell where the caller resumes.

/// The dashed lines `(lane, x0, x1)` of callers waiting from the end of
/// their cell to the start of the cell where they resume, for callers and
/// resumptions both shown and in one lane.
fn wait_lines(
    ctx: &Ctx,
    (h, t): (usize, usize),
    place: &[(usize, usize)],
) -> Vec<(usize, usize, usize)> {
    let shown = |c: usize| match c {
        c if c < h => Some(c),
        c if c >= t => Some(h + usize::from(h < t) + (c - t)),
        _ => None,
    };
    let mut lines = HashSet::new();
    let mut waiting: Vec<(u32, usize, usize)> = Vec::new();
    let mut prev: Option<(u32, usize, usize)> = None;
    for_each_seg(&ctx.cols, |seg, col| {
        let (tok, depth) = (ctx.model.tokens[seg], ctx.model.segs[seg].depth);
        match tok.kind {
            Kind::Call | Kind::Handler(_) => waiting.extend(prev),
            Kind::Return | Kind::Unwind => {
                if let Some((_, lane, from)) = resume(&mut waiting, depth) {
                    if let (true, Some(a), Some(b)) = (lane == tok.lane, shown(from), shown(col)) {
                        if a < b {
                            lines.insert((lane, a, b));
                        }
                    }
                }
            }
            Kind::Start | Kind::Goto => {}
        }
        prev = Some((depth, tok.lane, col));
    });
    let mut out: Vec<_> = lines
        .into_iter()
        .filter_map(|(lane, a, b)| Some((lane, place.get(a).map(|p| p.0 + p.1)?, place.get(b)?.0)))
        .collect();
    out.sort_unstable();
    out
}

/// Pops the callers a return to `depth` passes, and the one it resumes.
fn resume(waiting: &mut Vec<(u32, usize, usize)>, depth: u32) -> Option<(u32, usize, usize)> {
    while waiting.last().is_some_and(|w| w.0 > depth) {
        waiting.pop();
    }
    if waiting.last().is_some_and(|w| w.0 == depth) {
        waiting.pop()
    } else {
        None
    }
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

// ---------------------------------------------------------------------------
// Text.

/// Rows of ASCII bytes that grow as written to.
struct Grid {
    rows: Vec<Vec<u8>>,
}

impl Grid {
    fn get(&self, r: usize, x: usize) -> u8 {
        self.rows
            .get(r)
            .and_then(|row| row.get(x))
            .copied()
            .unwrap_or(b' ')
    }

    fn set(&mut self, r: usize, x: usize, b: u8) {
        if let Some(row) = self.rows.get_mut(r) {
            if x >= row.len() {
                row.resize(x + 1, b' ');
            }
            row[x] = b;
        }
    }

    fn put(&mut self, r: usize, x: usize, s: &str) {
        for (i, b) in s.bytes().enumerate() {
            self.set(r, x + i, if b.is_ascii_graphic() { b } else { b' ' });
        }
    }

    fn line(&self, r: usize) -> String {
        let row = self.rows.get(r).map_or(&[][..], Vec::as_slice);
        let s: String = row
            .iter()
            .map(|&b| match b {
                WAIT_DASH => '-',
                WAIT_HEAD => '>',
                b => char::from(b),
            })
            .collect();
        s.trim_end().to_owned()
    }
}

/// The diagram's rows, waiting callers included.
fn text_grid(d: &Diagram) -> Grid {
    let mut g = Grid {
        rows: vec![Vec::new(); d.rows()],
    };
    for op in &d.layout.ops {
        paint_op(&mut g, d, op);
    }
    for &(lane, x0, x1) in &d.waits {
        paint_wait(&mut g, d.lane_row(lane), x0, x1);
    }
    g
}

fn paint_text(d: &Diagram) -> String {
    let g = text_grid(d);
    let lw = label_width(&d.lanes);
    let mut out = format!("{}\n", d.header);
    for r in 0..d.rows() {
        let label = d
            .lanes
            .iter()
            .enumerate()
            .find(|&(l, _)| d.lane_row(l) == r)
            .map_or("", |(_, n)| n.as_str());
        let line = format!("{label:<lw$} | {}", g.line(r));
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str(LEGEND);
    out.push('\n');
    out
}

fn paint_op(g: &mut Grid, d: &Diagram, op: &Op) {
    match op {
        Op::Cell { lane, x, text } | Op::Marker { lane, x, text } => {
            g.put(d.lane_row(*lane), *x, text)
        }
        Op::Inline { lane, x0, text } => g.put(d.lane_row(*lane), *x0, text),
        Op::Lead { lane, x0, x1 } => {
            let dashes = "-".repeat(x1.saturating_sub(x0 + 3).max(1));
            g.put(d.lane_row(*lane), *x0, &format!(" {dashes}> "));
        }
        Op::Back {
            lane,
            x0,
            x1,
            unwind,
        } => {
            let leg = if *unwind { "err-" } else { "---" };
            let dashes = "-".repeat(x1.saturating_sub(x0 + 1 + leg.len()));
            g.put(d.lane_row(*lane), *x0, &format!(" {leg}{dashes}+"));
        }
        Op::Vert {
            x,
            from,
            to,
            unwind,
        } => paint_vert(g, (d.lane_row(*from), d.lane_row(*to)), *x, *unwind),
        Op::Bracket { x0, x1, reps } => g.put(0, *x0, &bracket_text(x1.saturating_sub(*x0), *reps)),
        Op::Elided { x, segments } => {
            for l in 0..d.lanes.len() {
                let text = if l == 0 {
                    elided_text(*segments)
                } else {
                    "...".to_owned()
                };
                g.put(d.lane_row(l), *x, &text);
            }
        }
    }
}

/// `[---- x284 ----]`, `width` characters wide.
fn bracket_text(width: usize, reps: usize) -> String {
    let label = bracket_label(reps);
    let dashes = width.saturating_sub(label.len() + 2);
    let left = dashes / 2;
    format!("[{}{label}{}]", "-".repeat(left), "-".repeat(dashes - left))
}

/// Draws a vertical from just past row `ra` to just before row `rb`,
/// crossing only blanks, with `v` or `^` next to row `rb`.
fn paint_vert(g: &mut Grid, (ra, rb): (usize, usize), x: usize, unwind: bool) {
    let (rows, head_row, head) = match rb.cmp(&ra) {
        std::cmp::Ordering::Greater => (ra + 1..rb, rb - 1, b'v'),
        std::cmp::Ordering::Less => (rb + 1..ra, rb + 1, b'^'),
        std::cmp::Ordering::Equal => return,
    };
    for r in rows {
        if g.get(r, x) == b' ' {
            g.set(r, x, if unwind { b'!' } else { b'|' });
        }
    }
    if matches!(g.get(head_row, x), b' ' | b'|' | b'!') {
        g.set(head_row, x, head);
    }
}

/// Fills the free stretches of row `r` between `x0` and `x1` with a
/// waiting caller's `- - ->`.
fn paint_wait(g: &mut Grid, r: usize, x0: usize, x1: usize) {
    let free = |b: u8| matches!(b, b' ' | WAIT_DASH | WAIT_HEAD);
    let mut a = x0;
    while a < x1 {
        if !free(g.get(r, a)) {
            a += 1;
            continue;
        }
        let mut b = a;
        while b < x1 && free(g.get(r, b)) {
            b += 1;
        }
        let arrow = b == x1 || (b >= a + 2 && g.get(r, b - 2) == WAIT_HEAD);
        fill_wait_run(g, r, a, b, arrow);
        a = b;
    }
}

/// Repaints the free run `a..b` as `- - -` between blanks; a run ending at
/// a resumed cell ends in `->` (or `-->` when the dashes do not line up).
fn fill_wait_run(g: &mut Grid, r: usize, a: usize, b: usize, arrow: bool) {
    (a..b).for_each(|x| g.set(r, x, b' '));
    if arrow && b - a >= 4 {
        (a + 1..b - 3)
            .step_by(2)
            .for_each(|x| g.set(r, x, WAIT_DASH));
        g.set(r, b - 3, WAIT_DASH);
        g.set(r, b - 2, WAIT_HEAD);
    } else if b - a >= 3 {
        (a + 1..b - 1)
            .step_by(2)
            .for_each(|x| g.set(r, x, WAIT_DASH));
    }
}

/// The final stretches `(lane, x0, x1, arrow)` of waiting callers' dashes
/// in a painted grid, for the SVG to draw as dashed lines.
fn wait_spans(g: &Grid, d: &Diagram) -> Vec<(usize, usize, usize, bool)> {
    let mut spans = Vec::new();
    for lane in 0..d.lanes.len() {
        let r = d.lane_row(lane);
        let len = g.rows.get(r).map_or(0, Vec::len);
        let mut x = 0;
        while x < len {
            if g.get(r, x) != WAIT_DASH {
                x += 1;
                continue;
            }
            let (start, mut last) = (x, x);
            while x < len && matches!(g.get(r, x), b' ' | WAIT_DASH | WAIT_HEAD) {
                if g.get(r, x) != b' ' {
                    last = x;
                }
                x += 1;
            }
            spans.push((lane, start, last + 1, g.get(r, last) == WAIT_HEAD));
        }
    }
    spans
}

// ---------------------------------------------------------------------------
// SVG.

/// Pixels per character column and per row.
const CW: usize = 8;
const RH: usize = 20;

/// Pixel geometry of a diagram.
struct Geo<'a> {
    d: &'a Diagram,
    left: usize,
    top: usize,
}

impl Geo<'_> {
    fn x(&self, col: usize) -> usize {
        self.left + col * CW
    }

    /// The centre of a character column.
    fn cx(&self, col: usize) -> usize {
        self.x(col) + CW / 2
    }

    fn row_y(&self, row: usize) -> usize {
        self.top + row * RH
    }

    fn mid(&self, lane: usize) -> usize {
        self.row_y(self.d.lane_row(lane)) + RH / 2
    }
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Appends formatted text and a newline.
fn push(s: &mut String, args: std::fmt::Arguments) {
    let _ = s.write_fmt(args);
    s.push('\n');
}

/// Appends a `<line>` from `a` to `b` with extra attributes.
fn svg_line(s: &mut String, (x1, y1): (usize, usize), (x2, y2): (usize, usize), attrs: &str) {
    push(
        s,
        format_args!(r#"<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"{attrs}/>"#),
    );
}

/// Appends a `<text>` with its baseline at `(x, y)`.
fn svg_text_at(s: &mut String, (x, y): (usize, usize), text: &str, attrs: &str) {
    push(
        s,
        format_args!(r#"<text x="{x}" y="{y}"{attrs}>{}</text>"#, esc(text)),
    );
}

const SVG_MARKER: &str =
    r#"viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto""#;

/// An arrowhead's outline in its marker's box.
const ARROW: &str = "M0,0 L10,5 L0,10 z";

fn svg_open(s: &mut String, w: usize, h: usize) {
    push(s, format_args!(r#"<?xml version="1.0" encoding="UTF-8"?>"#));
    push(
        s,
        format_args!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" {}>"#,
            r#"font-family="monospace" font-size="13""#
        ),
    );
    s.push_str("<defs>\n");
    for (id, color) in [("arrow", "#333"), ("arrow-err", ERR_COLOR)] {
        push(
            s,
            format_args!(
                r#"<marker id="{id}" {SVG_MARKER}><path d="{ARROW}" fill="{color}"/></marker>"#
            ),
        );
    }
    s.push_str("</defs>\n");
    push(
        s,
        format_args!(r##"<rect width="{w}" height="{h}" fill="#fff"/>"##),
    );
}

fn empty_svg() -> String {
    let mut s = String::new();
    svg_open(&mut s, 320, 40);
    svg_text_at(&mut s, (CW, 24), "hand-off diagram: no steps", "");
    s.push_str("</svg>\n");
    s
}

fn paint_svg(d: &Diagram) -> String {
    let g = Geo {
        d,
        left: (label_width(&d.lanes) + 2) * CW,
        top: RH + 8,
    };
    let text_w = (d.header.len().max(LEGEND.len()) + 2) * CW;
    let w = g.x(d.layout.width + 2).max(text_w);
    let h = g.row_y(d.rows()) + RH + 8;
    let mut s = String::new();
    svg_open(&mut s, w, h);
    svg_text_at(&mut s, (CW, RH - 4), &d.header, "");
    svg_lanes(&mut s, &g, w);
    svg_waits(&mut s, &g, &wait_spans(&text_grid(d), d));
    svg_group(
        &mut s,
        r##"<g class="links" stroke="#333" fill="none">"##,
        &g,
        svg_link,
    );
    svg_group(&mut s, r#"<g class="cells">"#, &g, svg_cell);
    svg_group(
        &mut s,
        r#"<g class="groups" font-size="11">"#,
        &g,
        svg_bracket,
    );
    svg_text_at(&mut s, (CW, h - 8), LEGEND, r#" font-size="11""#);
    s.push_str("</svg>\n");
    s
}

fn svg_lanes(s: &mut String, g: &Geo, w: usize) {
    s.push_str("<g class=\"lanes\">\n");
    for (l, name) in g.d.lanes.iter().enumerate() {
        let y = g.mid(l);
        svg_line(s, (g.left - CW, y), (w, y), r##" stroke="#eee""##);
        svg_text_at(s, (CW, y + 4), name, r#" font-weight="bold""#);
    }
    s.push_str("</g>\n");
}

/// Draws the waiting callers' dashes where the text diagram has them.
fn svg_waits(s: &mut String, g: &Geo, spans: &[(usize, usize, usize, bool)]) {
    s.push_str("<g class=\"waits\" stroke=\"#888\" stroke-dasharray=\"4 3\">\n");
    for &(lane, x0, x1, arrow) in spans {
        let y = g.mid(lane);
        let end = if arrow {
            r#" marker-end="url(#arrow)""#
        } else {
            ""
        };
        svg_line(s, (g.x(x0), y), (g.x(x1).saturating_sub(1), y), end);
    }
    s.push_str("</g>\n");
}

/// Writes one `<g>` with whatever `each` draws for the ops.
fn svg_group(s: &mut String, open: &str, g: &Geo, each: fn(&mut String, &Geo, &Op)) {
    s.push_str(open);
    s.push('\n');
    for op in &g.d.layout.ops {
        each(s, g, op);
    }
    s.push_str("</g>\n");
}

const ERR_COLOR: &str = "#c0392b";

fn svg_link(s: &mut String, g: &Geo, op: &Op) {
    match *op {
        Op::Lead { lane, x0, x1 } => {
            let y = g.mid(lane);
            let to = g.x(x1).saturating_sub(2);
            svg_line(s, (g.x(x0) + 2, y), (to, y), r#" marker-end="url(#arrow)""#);
        }
        Op::Back {
            lane,
            x0,
            x1,
            unwind,
        } => {
            let (y, a) = (g.mid(lane), g.x(x0) + 2);
            if unwind {
                svg_line(
                    s,
                    (a, y),
                    (g.cx(x1), y),
                    &format!(r#" stroke="{ERR_COLOR}""#),
                );
                let attrs = format!(r#" fill="{ERR_COLOR}" stroke="none""#);
                svg_text_at(s, (a + CW, y - 3), "err", &attrs);
            } else {
                svg_line(s, (a, y), (g.cx(x1), y), "");
            }
        }
        Op::Vert {
            x,
            from,
            to,
            unwind,
        } => svg_vert(s, g, x, (from, to), unwind),
        _ => {}
    }
}

fn svg_vert(s: &mut String, g: &Geo, x: usize, (from, to): (usize, usize), unwind: bool) {
    let cx = g.cx(x);
    let half = RH / 2 - 2;
    let (y1, y2) = if to > from {
        (g.mid(from) + half, g.mid(to) - half)
    } else {
        (g.mid(from) - half, g.mid(to) + half)
    };
    let attrs = if unwind {
        format!(r#" stroke="{ERR_COLOR}" marker-end="url(#arrow-err)""#)
    } else {
        r#" marker-end="url(#arrow)""#.to_owned()
    };
    svg_line(s, (cx, y1), (cx, y2), &attrs);
}

fn svg_cell(s: &mut String, g: &Geo, op: &Op) {
    match op {
        Op::Cell { lane, x, text } => {
            let y = g.row_y(g.d.lane_row(*lane));
            let (rx, w) = (g.x(*x).saturating_sub(3), text.len() * CW + 6);
            push(
                s,
                format_args!(
                    r##"<rect x="{rx}" y="{}" width="{w}" height="{}" rx="5" {}/>"##,
                    y + 2,
                    RH - 4,
                    r##"fill="#eef4fb" stroke="#4a6fa5""##
                ),
            );
            svg_text_at(s, (g.x(*x), y + RH - 6), text, "");
        }
        Op::Marker { lane, x, text } => svg_text(
            s,
            g,
            (*lane, *x),
            text,
            r##" fill="#8a4b08" font-style="italic""##,
        ),
        Op::Inline { lane, x0, text } => {
            let lead = text.len() - text.trim_start().len();
            svg_text(s, g, (*lane, x0 + lead), text.trim(), r##" fill="#555""##);
        }
        Op::Elided { x, segments } => {
            for l in 0..g.d.lanes.len() {
                let text = if l == 0 {
                    elided_text(*segments)
                } else {
                    "...".to_owned()
                };
                svg_text(s, g, (l, *x), &text, r##" fill="#888""##);
            }
        }
        _ => {}
    }
}

/// Appends a `<text>` in a lane's cell row.
fn svg_text(s: &mut String, g: &Geo, (lane, x): (usize, usize), text: &str, attrs: &str) {
    let y = g.row_y(g.d.lane_row(lane)) + RH - 6;
    svg_text_at(s, (g.x(x), y), text, attrs);
}

fn svg_bracket(s: &mut String, g: &Geo, op: &Op) {
    if let Op::Bracket { x0, x1, reps } = *op {
        let (a, b, y) = (g.x(x0), g.x(x1).saturating_sub(2), g.row_y(0) + RH);
        push(
            s,
            format_args!(
                r##"<path d="M{a} {} V{} H{b} V{}" fill="none" stroke="#4a6fa5"/>"##,
                y - 2,
                y - 7,
                y - 2
            ),
        );
        let attrs = r#" text-anchor="middle""#;
        svg_text_at(s, ((a + b) / 2, y - 9), &format!("\u{d7}{reps}"), attrs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(interp: &'static str, depth: u32, steps: u64, entry: Entry) -> Segment {
        Segment {
            interp,
            depth,
            steps,
            entry,
        }
    }

    /// The diagram rows between the header and the legend.
    fn body(text: &str) -> Vec<&str> {
        let lines: Vec<&str> = text.lines().collect();
        lines[1..lines.len() - 1].to_vec()
    }

    fn assert_narrow(text: &str) {
        for line in text.lines() {
            assert!(line.len() <= MAX_WIDTH, "{} columns: {line}", line.len());
            assert!(line.is_ascii(), "not ASCII: {line}");
        }
    }

    fn round_trips(n: usize) -> Vec<Segment> {
        let mut v = vec![seg("lua", 0, 3, Entry::Start)];
        for i in 0..n {
            v.push(seg("smop", 1, 5 + (i % 3) as u64, Entry::Call));
            v.push(seg("lua", 0, 2, Entry::Return));
        }
        v
    }

    fn deep_recursion(levels: u32) -> Vec<Segment> {
        let name = |d: u32| if d % 2 == 1 { "smop" } else { "lua" };
        let mut v = vec![seg("lua", 0, 1, Entry::Start)];
        v.extend((1..=levels).map(|d| seg(name(d), d, 4, Entry::Call)));
        v.extend((0..levels).rev().map(|d| seg(name(d), d, 2, Entry::Return)));
        v
    }

    #[test]
    fn canonical_example() {
        let segs = [
            seg("lua", 0, 3, Entry::Start),
            seg("smop", 1, 3, Entry::Call),
            seg("lua", 0, 2, Entry::Return),
        ];
        let text = render_text(&segs);
        assert_eq!(
            body(&text),
            [
                "lua  | lua -> lua -> lua -> call - - - - - - - - -> lua -> lua",
                "     |                       |                      ^",
                "     |                       v                      |",
                "smop |                      smop -> smop -> smop ---+",
            ],
            "{text}"
        );
        assert!(text.starts_with(
            "hand-off diagram: 8 steps in 3 segments, 1 hand-off (1 between interpreters)"
        ));
        assert!(text.trim_end().ends_with(LEGEND));
    }

    #[test]
    fn handlers_show_their_kind() {
        let segs = [
            seg("lua", 0, 9, Entry::Start),
            seg("smop", 1, 2, Entry::Handler("probe".into())),
            seg("lua", 0, 1, Entry::Return),
            seg("lua", 1, 1, Entry::Handler("probe".into())),
            seg("lua", 0, 1, Entry::Return),
        ];
        let text = render_text(&segs);
        assert!(text.contains("lua x9 -> irq:probe"), "{text}");
        assert!(text.contains("lua =irq:probe=> lua <= lua"), "{text}");
        assert!(text.contains("2 interrupt handlers (probe x2)"), "{text}");
    }

    #[test]
    fn same_lane_calls_are_inline() {
        let segs = [
            seg("smop", 0, 1, Entry::Start),
            seg("smop", 1, 1, Entry::Call),
            seg("smop", 0, 1, Entry::Return),
            seg("smop", 0, 1, Entry::Goto),
            seg("smop", 1, 1, Entry::Call),
            seg("smop", 0, 1, Entry::Unwind),
        ];
        let text = render_text(&segs);
        assert!(
            text.contains("smop => smop <= smop ~> smop => smop <! smop"),
            "{text}"
        );
    }

    #[test]
    fn gotos_hand_off_without_waiting() {
        let segs = [
            seg("lua", 0, 1, Entry::Start),
            seg("smop", 0, 1, Entry::Goto),
            seg("lua", 0, 1, Entry::Goto),
        ];
        let text = render_text(&segs);
        assert!(text.contains("lua -> goto"), "{text}");
        assert!(text.contains("smop -> goto"), "{text}");
        assert!(!body(&text).concat().contains("- -"), "{text}");
        assert!(text.contains("0 hand-offs"), "{text}");
    }

    #[test]
    fn many_handler_kinds_keep_the_header_narrow() {
        let kinds: Vec<String> = (0..40).map(|i| format!("kind-number-{i}")).collect();
        let mut segs = vec![seg("lua", 0, 1, Entry::Start)];
        for k in &kinds {
            segs.push(seg("smop", 1, 1, Entry::Handler(k.clone())));
            segs.push(seg("lua", 0, 1, Entry::Return));
        }
        let text = render_text(&segs);
        assert_narrow(&text);
        assert!(text
            .lines()
            .next()
            .is_some_and(|h| h.contains("kind-number-0 x1, ") && h.contains("...")));
    }

    #[test]
    fn unwinds_are_marked() {
        let segs = [
            seg("lua", 0, 1, Entry::Start),
            seg("smop", 1, 1, Entry::Call),
            seg("lua", 0, 1, Entry::Unwind),
        ];
        let text = render_text(&segs);
        assert!(text.contains("smop err-+"), "{text}");
        assert!(text.contains('!'), "{text}");
        assert!(text.contains("1 error unwind"), "{text}");
    }

    #[test]
    fn round_trips_fold_into_one_group() {
        let text = render_text(&round_trips(10_000));
        assert_narrow(&text);
        assert!(text.contains(" x10000 "), "{text}");
        assert_eq!(body(&text).concat().matches('[').count(), 1, "{text}");
        assert!(text.contains("smop x5..7"), "{text}");
        assert!(text.lines().count() <= 8, "{text}");
    }

    #[test]
    fn deep_recursion_stays_narrow() {
        let text = render_text(&deep_recursion(100_000));
        assert_narrow(&text);
        assert!(text.contains(" x50000 "), "{text}");
        assert!(text.lines().count() <= 8, "{text}");
    }

    #[test]
    fn empty_input_says_no_steps() {
        let text = render_text(&[]);
        assert!(text.contains("no steps"));
        assert!(text.lines().count() <= 2);
        assert!(render_svg(&[]).trim_end().ends_with("</svg>"));
    }

    #[test]
    fn odd_input_does_not_panic() {
        let segs = [
            seg("", 0, 0, Entry::Return),
            seg("l\u{fc}a \n<x>", 7, u64::MAX, Entry::Unwind),
            seg("native", 3, u64::MAX, Entry::Call),
            seg(
                "a-very-long-interpreter-name",
                900,
                1,
                Entry::Handler("k\u{0}\u{2603}".repeat(40)),
            ),
            seg("lua", 0, 2, Entry::Unwind),
            seg("smop", 0, 1, Entry::Start),
            seg("native", u32::MAX, 1, Entry::Goto),
            seg("", 0, 1, Entry::Return),
        ];
        let text = render_text(&segs);
        assert_narrow(&text);
        assert!(text.contains(&u64::MAX.to_string()), "{text}");
        assert!(render_svg(&segs).ends_with("</svg>\n"));
    }

    #[test]
    fn verticals_cross_lanes_between() {
        let segs = [
            seg("lua", 0, 1, Entry::Start),
            seg("smop", 1, 1, Entry::Call),
            seg("native", 2, 1, Entry::Call),
            seg("lua", 3, 1, Entry::Call),
            seg("native", 2, 1, Entry::Return),
            seg("smop", 1, 1, Entry::Return),
            seg("lua", 0, 1, Entry::Return),
        ];
        let text = render_text(&segs);
        let smop_row = text
            .lines()
            .find(|l| l.starts_with("smop"))
            .unwrap_or_default();
        assert_eq!(smop_row.matches('|').count(), 3, "{text}");
        assert!(
            text.lines()
                .any(|l| l.starts_with("lua") && l.contains("->")),
            "{text}"
        );
    }

    #[test]
    fn svg_is_well_formed_and_escaped() {
        let mut segs = round_trips(3);
        segs.push(seg("smop", 1, 1, Entry::Handler("<&>\"".into())));
        segs.push(seg("lua", 0, 1, Entry::Unwind));
        let svg = render_svg(&segs);
        assert!(svg.starts_with("<?xml") || svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<g").count(), svg.matches("</g>").count());
        assert_eq!(svg.matches("<svg").count(), 1);
        assert!(svg.contains("irq:&lt;&amp;&gt;&quot;"), "{svg}");
        assert!(!svg.contains("<&>"));
        assert!(svg.contains("\u{d7}3") && svg.contains("stroke-dasharray"));
    }

    /// A reproducible jumble of interpreters, entries and depths that does
    /// not fold, so only elision keeps it narrow.
    fn jumble(n: usize) -> Vec<Segment> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut depth = 0u32;
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let r = state >> 33;
                let interp = ["lua", "smop", "native"][(r % 3) as usize];
                let entry = match (r >> 2) % 5 {
                    0 | 1 => Entry::Call,
                    2 => Entry::Return,
                    3 => Entry::Handler("probe".into()),
                    _ => Entry::Unwind,
                };
                depth = match entry {
                    Entry::Return | Entry::Unwind => depth.saturating_sub(1 + (r >> 5) as u32 % 3),
                    _ => depth + 1,
                };
                seg(interp, depth, 1 + (r >> 8) % 50, entry)
            })
            .collect()
    }

    #[test]
    fn large_unfoldable_input_is_elided_and_bounded() {
        let segs = jumble(200_000);
        let start = std::time::Instant::now();
        let text = render_text(&segs);
        let svg = render_svg(&segs);
        assert_narrow(&text);
        assert!(text.contains("segments)..."), "{text}");
        assert!(text.len() < 8_000, "{} bytes", text.len());
        assert!(svg.len() < 100_000, "{} bytes", svg.len());
        assert!(start.elapsed() < std::time::Duration::from_secs(30));
    }
}
