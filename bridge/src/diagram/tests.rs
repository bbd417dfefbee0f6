//! Unit tests for hand-off diagrams: exact text for small runs, and
//! width, size and robustness bounds for large or odd ones.

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
