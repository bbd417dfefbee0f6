//! The SVG painter for hand-off diagrams: the laid-out diagram as a
//! standalone SVG document, and the document for a run with no steps.

use std::fmt::Write as _;

use super::layout::Op;
use super::text::{text_grid, wait_spans};
use super::{elided_text, label_width, Diagram, LEGEND};

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

pub(super) fn empty_svg() -> String {
    let mut s = String::new();
    svg_open(&mut s, 320, 40);
    svg_text_at(&mut s, (CW, 24), "hand-off diagram: no steps", "");
    s.push_str("</svg>\n");
    s
}

pub(super) fn paint_svg(d: &Diagram) -> String {
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
