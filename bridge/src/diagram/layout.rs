//! Layout for hand-off diagrams: character positions for everything
//! drawn (cells, connectors, group brackets, the elided middle), shared by
//! the text and SVG painters; which columns are shown when the diagram is
//! too wide; and the waiting callers' lines.

use std::collections::HashSet;

use super::{elided_text, for_each_seg, Ctx, Kind, Token, NO_GROUP};

/// One thing to draw. `x` values are character columns; lanes are indices.
#[derive(Clone, Debug)]
pub(super) enum Op {
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
pub(super) enum Disp {
    Col(usize),
    Elided(u64),
}

#[derive(Default)]
pub(super) struct Layout {
    pub(super) ops: Vec<Op>,
    /// Start and width of each displayed item.
    pub(super) place: Vec<(usize, usize)>,
    pub(super) width: usize,
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

pub(super) fn layout(ctx: &mut Ctx, disp: &[Disp]) -> Layout {
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

pub(super) fn bracket_label(reps: usize) -> String {
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
pub(super) fn choose_display(ctx: &mut Ctx, budget: usize) -> (usize, usize) {
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

pub(super) fn display(ctx: &Ctx, h: usize, t: usize) -> Vec<Disp> {
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
pub(super) fn wait_lines(
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
