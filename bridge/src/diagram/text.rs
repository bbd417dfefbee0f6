//! The text painter for hand-off diagrams: the laid-out diagram drawn
//! into a grid of ASCII rows, with lane labels and the legend, and the
//! waiting callers' dashes as painted there (which the SVG reuses).

use super::layout::{bracket_label, Op};
use super::{elided_text, label_width, Diagram, LEGEND};

/// Grid bytes for a waiting caller's dashes and arrowhead while painting;
/// they become `-` and `>` on output, and may be repainted.
const WAIT_DASH: u8 = 1;
const WAIT_HEAD: u8 = 2;

/// Rows of ASCII bytes that grow as written to.
pub(super) struct Grid {
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
pub(super) fn text_grid(d: &Diagram) -> Grid {
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

pub(super) fn paint_text(d: &Diagram) -> String {
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
pub(super) fn wait_spans(g: &Grid, d: &Diagram) -> Vec<(usize, usize, usize, bool)> {
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
