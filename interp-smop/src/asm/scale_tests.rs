//! Tests of diagnostics that scale with the input: every fixed-width limit
//! of the encoding (arguments per call, registers and code words per mold)
//! is a located diagnostic at the construct that overflows it, never an
//! internal error, and a Mold at a limit still validates; and rendering is
//! bounded (clipped source lines with a caret that agrees with the clipped
//! text, clipped messages, at most 50 diagnostics and a count of the rest)
//! whatever the size of the source.

use std::rc::Rc;

use super::codegen::Limits;
use super::diag::{CONTEXT_AFTER, CONTEXT_BEFORE, MAX_KEPT, MAX_LABEL, MAX_MESSAGE};
use super::{compile, compile_with, Diagnostics};
use crate::mold::{Mold, MoldObject, MAX_CALL_ARGS, MAX_CODE_WORDS, MAX_REGISTERS};

fn validate_all(m: &Mold) {
    m.validate().expect("every compiled mold validates");
    for c in &m.consts {
        if let Some(inner) = c.downcast::<MoldObject>() {
            validate_all(&inner.0);
        }
    }
}

fn ok_with(src: &str, limits: Limits) -> Rc<Mold> {
    match compile_with(src, "t.m0ld", limits) {
        Ok(m) => {
            validate_all(&m);
            m
        }
        Err(d) => panic!("unexpected errors:\n{}", d.render()),
    }
}

fn err_with(src: &str, limits: Limits) -> Diagnostics {
    match compile_with(src, "t.m0ld", limits) {
        Ok(m) => panic!("compiled unexpectedly:\n{}", m.disassemble()),
        Err(d) => {
            for e in &d.items {
                assert!(!e.message.contains("internal"), "{}", d.render());
                assert_eq!(
                    line_col(src, e.span.start),
                    (e.line, e.col),
                    "span and position agree: {e}"
                );
            }
            d
        }
    }
}

/// Every diagnostic as `line:col: message`.
fn all(d: &Diagnostics) -> Vec<String> {
    d.items
        .iter()
        .map(|e| format!("{}:{}: {}", e.line, e.col, e.message))
        .collect()
}

/// The line and column (in characters) of byte `at`.
fn line_col(src: &str, at: usize) -> (u32, u32) {
    let before = &src[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line as u32, col as u32)
}

const PRELUDE: &str =
    "my $interpreter; my $scope; my $OUT = $scope.\"lookup\"(\"$OUT\"); $OUT = $OUT.\"FETCH\"();\n";

/// A call on line 2 with `npos` positional and `nnamed` named arguments.
fn big_call(npos: usize, nnamed: usize) -> String {
    let mut args: Vec<&str> = vec!["1"; npos];
    args.extend(std::iter::repeat_n(":\"k\"(2)", nnamed));
    format!("{PRELUDE}  $OUT.\"say\"({});\n", args.join(", "))
}

#[test]
fn limits_are_the_encodings() {
    assert_eq!(MAX_CALL_ARGS, usize::from(u16::MAX));
    assert_eq!(MAX_REGISTERS, u32::MAX as usize);
    assert_eq!(MAX_CODE_WORDS, u32::MAX as usize);
    let e = Limits::ENCODING;
    assert_eq!(
        (e.args, e.registers, e.code_words),
        (MAX_CALL_ARGS, MAX_REGISTERS, MAX_CODE_WORDS)
    );
}

#[test]
fn calls_up_to_65535_arguments_of_each_kind_compile() {
    let m = ok_with(&big_call(65_535, 65_535), Limits::ENCODING);
    let low = m.lowered();
    assert!(low.insts.iter().any(|i| matches!(
        i,
        crate::mold::Inst::Call {
            npos: 65_535,
            nnamed: 65_535,
            ..
        }
    )));
}

#[test]
fn more_than_65535_positional_arguments_is_a_diagnostic_at_the_call() {
    for n in [65_536, 70_000] {
        let src = big_call(n, 0);
        assert!(compile(&src, "t.m0ld").is_err());
        let d = err_with(&src, Limits::ENCODING);
        assert_eq!(
            all(&d),
            [format!(
                "2:3: too many positional arguments in one call ({n}; at most 65535)"
            )]
        );
        let text = d.render();
        assert!(text.contains("--> t.m0ld:2:3"), "{text}");
        assert!(text.contains("  ^^^^^^^^^^\n"), "{text}");
        assert!(text.len() < 2_000, "{text}");
    }
}

#[test]
fn more_than_65535_named_arguments_is_a_diagnostic_at_the_call() {
    let d = err_with(&big_call(3, 65_536), Limits::ENCODING);
    assert_eq!(
        all(&d),
        ["2:3: too many named arguments in one call (65536; at most 65535)"]
    );
}

#[test]
fn argument_limit_applies_to_every_kind_of_call() {
    let limits = Limits {
        args: 2,
        ..Limits::ENCODING
    };
    ok_with(
        "my $o; $o.\"m\"(1, 2, :\"a\"(1), :\"b\"(2)); my $x = $o.\"m\"(1, 2);",
        limits,
    );
    let src =
        "my $o;\nmy $x = $o.\"m\"(1, 2, 3);\n$x = 7.\"m\"(:\"a\"(1), :\"b\"(2), :\"a\"(3));\n\
               my $c = mold { my $p; $p.\"n\"($p, $p, $p, $p); };\n";
    let d = err_with(src, limits);
    assert_eq!(
        all(&d),
        [
            "2:9: too many positional arguments in one call (3; at most 2)",
            "3:6: too many named arguments in one call (3; at most 2)",
            "4:23: too many positional arguments in one call (4; at most 2)",
        ]
    );
}

#[test]
fn register_limit_counts_declarations_constants_and_scratch() {
    let limits = Limits {
        registers: 3,
        ..Limits::ENCODING
    };
    // Exactly at the limit, in each combination; a nested mold has
    // registers of its own.
    ok_with("my $a; my $b; my $c;", limits);
    ok_with("my $a = 1; my $b = 1;", limits);
    ok_with("my $a = 2; $a.\"m\"();", limits);
    ok_with(
        "my $a = mold { my $x; my $y = 9; };\n$a = mold { my $z; };",
        limits,
    );
    let cases = [
        (
            "my $a; my $b; my $c;\nmy $d;",
            "2:4: too many registers in one mold (this declaration needs one more than the 3 allowed)",
        ),
        (
            "my $a; my $b = 1;\n$a = 1; $b = 2;",
            "2:14: too many registers in one mold (this constant needs one more than the 3 allowed)",
        ),
        (
            "my $a = mold { noop; }; my $b;\n$a = mold { noop; };",
            "2:6: too many registers in one mold (this constant needs one more than the 3 allowed)",
        ),
        (
            "my $a; my $b = 2;\n  $a.\"m\"($b); $b.\"m\"();",
            "2:3: too many registers in one mold (this call's scratch register needs one more than the 3 allowed)",
        ),
        (
            "my $o = mold { my $a; my $b; my $c; my $d; my $e; };",
            "1:40: too many registers in one mold (this declaration needs one more than the 3 allowed)",
        ),
    ];
    for (src, want) in cases {
        let d = err_with(src, limits);
        assert_eq!(all(&d), [want], "{src}");
    }
    // One report per mold, however far past the limit.
    let d = err_with(&"my $a; ".repeat(1_000), limits);
    assert_eq!(d.items.len(), 1);
}

#[test]
fn code_size_limit_points_at_the_statement_that_passes_it() {
    // `noop` is one word, `$a = $b` three, `goto` two.
    let limits = Limits {
        code_words: 6,
        ..Limits::ENCODING
    };
    ok_with("my $a; my $b; top: noop; $a = $b; goto top;", limits);
    ok_with("if 1 { goto end }; end: noop; noop;", limits);
    let d = err_with(
        "my $a; my $b;\nnoop; $a = $b;\n  here: goto here; noop;",
        limits,
    );
    assert_eq!(
        all(&d),
        ["3:20: too much code in one mold (this statement ends at word 7; at most 6)"]
    );
    // In a nested mold, and reported once however far past the limit.
    let d = err_with(
        &format!("my $m = mold {{ {} }};", "noop; ".repeat(100)),
        limits,
    );
    assert_eq!(
        all(&d),
        ["1:52: too much code in one mold (this statement ends at word 7; at most 6)"]
    );
}

// --- bounded rendering ------------------------------------------------------

fn err(src: &str) -> Diagnostics {
    err_with(src, Limits::ENCODING)
}

/// Renders `d` and checks it block by block: each block names its
/// diagnostic's `file:line:col`, and its quoted text is a window of that
/// source line (`...` marking exactly the ends that were cut) with the
/// caret under the diagnostic's column. Returns the text.
fn check_rendering(src: &str, d: &Diagnostics) -> String {
    let text = d.render();
    let src_lines: Vec<&str> = src.split('\n').collect();
    let lines: Vec<&str> = text.lines().collect();
    let mut shown = 0;
    for (i, l) in lines.iter().enumerate() {
        let Some(loc) = l.trim_start().strip_prefix("--> ") else {
            continue;
        };
        let e = &d.items[shown];
        shown += 1;
        assert_eq!(loc, format!("t.m0ld:{}:{}", e.line, e.col), "{text}");
        assert_eq!(lines[i - 1], format!("error: {}", e.message));
        let quoted_line = lines[i + 2];
        let at = quoted_line.find(" | ").expect("a quoted line") + 3;
        assert_eq!(quoted_line[..at].trim(), format!("{} |", e.line));
        let quoted: Vec<char> = quoted_line[at..].chars().collect();
        let carets: Vec<char> = lines[i + 3][at..].chars().collect();
        let mut k = carets.iter().position(|&c| c == '^').expect("a caret");
        let n = carets.iter().filter(|&&c| c == '^').count();
        assert!(carets[k..k + n].iter().all(|&c| c == '^'));
        assert!((1..=MAX_LABEL.max(1)).contains(&n), "{n} carets");
        let mut core = &quoted[..];
        let cut_before = core.starts_with(&['.', '.', '.']);
        if cut_before {
            core = &core[3..];
            k -= 3;
        }
        let cut_after = core.ends_with(&['.', '.', '.']);
        if cut_after {
            core = &core[..core.len() - 3];
        }
        let real: Vec<char> = src_lines[e.line as usize - 1].chars().collect();
        let col0 = e.col as usize - 1;
        assert!(k <= col0 && k <= CONTEXT_BEFORE, "caret at {k}");
        let start = col0 - k;
        assert_eq!(
            real[start..start + core.len()],
            *core,
            "the quoted text is the source around {}:{}",
            e.line,
            e.col
        );
        assert_eq!(cut_before, start > 0, "`...` before iff cut");
        assert_eq!(
            cut_after,
            start + core.len() < real.len(),
            "`...` after iff cut"
        );
        assert!(core.len() <= CONTEXT_BEFORE + MAX_LABEL + CONTEXT_AFTER);
        assert!(k + n <= core.len() + 1, "the carets are on the text");
    }
    assert_eq!(shown, d.items.len().min(MAX_KEPT));
    let more = d.omitted + d.items.len() - shown;
    if more > 0 {
        let s = if more == 1 { "" } else { "s" };
        assert!(
            text.ends_with(&format!("\n... and {more} more error{s}\n")),
            "{text}"
        );
    }
    text
}

/// A single-line program of about `size` bytes mixing valid statements
/// (with multi-byte characters) and errors of every phase, with very long
/// tokens near the start.
fn huge_line(size: usize) -> String {
    let mut s = String::with_capacity(size + 100);
    s.push_str("my $ok; $");
    s.push_str(&"n".repeat(5_000));
    s.push_str(" = 3; my $t = 1");
    s.push_str(&"z".repeat(3_000));
    s.push_str("; ");
    let pieces = [
        "$x = 1; ",
        "my $s = \"é€𝒳ж\"; ",
        "@; ",
        "goto nowhere; ",
        "my $y = ; ",
        "$ok = \"ü\".\"m\"(1, 2.5, :\"k\"($ok)); ",
    ];
    'fill: loop {
        for p in pieces {
            if s.len() >= size {
                break 'fill;
            }
            s.push_str(p);
        }
    }
    s
}

#[test]
fn a_huge_one_line_file_renders_small_and_right() {
    let src = huge_line(2_700_000);
    assert!(!src.contains('\n') && src.len() >= 2_700_000);
    let d = err(&src);
    assert_eq!(d.items.len(), MAX_KEPT);
    assert!(d.omitted > 50_000, "{} omitted", d.omitted);
    // The first ones by position, in order.
    assert!(d.items.windows(2).all(|w| w[0].col <= w[1].col));
    assert_eq!(
        (d.items[0].line, d.items[0].col, d.items[0].message.as_str()),
        (1, 9, "undeclared register $nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...")
    );
    let text = check_rendering(&src, &d);
    assert!(text.len() < 64 << 10, "{} bytes", text.len());
    for block in text.split("\n\n") {
        assert!(block.len() < 1_000, "one diagnostic is small: {block}");
    }
    // A long token is quoted in part, its label cut.
    assert!(
        text.contains(&format!(" {}\n", "^".repeat(MAX_LABEL))),
        "{text}"
    );
}

#[test]
fn long_lines_are_clipped_around_the_error_wherever_it_is() {
    let filler = "noop; ".repeat(20_000);
    let cases = [
        format!("$zz = 1; {filler}"),
        format!("{filler}$zz = 1; {filler}"),
        format!("{filler}$zz = 1;"),
        format!("noop;\n\n{filler}$zz = 1; {filler}\nnoop;"),
        format!("{filler}\n{filler}$zz = 1\n"),
        "$zz = 1;".to_owned(),
    ];
    for src in &cases {
        let d = err(src);
        let text = check_rendering(src, &d);
        assert!(text.len() < 1_000, "{text}");
    }
    let d = err(&cases[3]);
    assert_eq!((d.items[0].line, d.items[0].col), (3, 120_001));
    assert!(check_rendering(&cases[3], &d).contains("--> t.m0ld:3:120001\n"));
}

#[test]
fn clipping_never_splits_a_character() {
    for c in ["é", "€", "𝒳", "ж"] {
        for before in [CONTEXT_BEFORE - 1, CONTEXT_BEFORE, CONTEXT_BEFORE + 7] {
            let src = format!(
                "my $s = \"{}\"; $zz = \"{}\";",
                c.repeat(before),
                c.repeat(CONTEXT_AFTER * 3)
            );
            let d = err(&src);
            let text = check_rendering(&src, &d);
            assert!(text.contains(c), "{text}");
        }
        // A label made of multi-byte characters, cut in the middle.
        let src = format!("noop; goto \"{}\"; noop;", c.repeat(MAX_LABEL * 2));
        let d = err(&src);
        assert_eq!(d.items[0].message, "expected a label, found string literal");
        let text = check_rendering(&src, &d);
        assert!(
            text.contains(&format!(" {}\n", "^".repeat(MAX_LABEL))),
            "{text}"
        );
    }
}

#[test]
fn the_first_errors_by_position_are_kept() {
    // The lexer reports the `@`s first, but the undeclared registers come
    // before them in the file.
    let src = format!("{}\n{}", "$x = 1;\n".repeat(60), "@\n".repeat(60));
    let d = err(&src);
    assert_eq!(d.items.len(), MAX_KEPT);
    assert_eq!(d.omitted, 70);
    assert!(d
        .items
        .iter()
        .all(|e| e.message == "undeclared register $x"));
    assert_eq!(
        d.items.iter().map(|e| e.line).collect::<Vec<_>>(),
        (1..=50).collect::<Vec<_>>()
    );
    assert!(check_rendering(&src, &d).ends_with("\n... and 70 more errors\n"));
    let d = err(&"@".repeat(MAX_KEPT + 1));
    assert!(check_rendering(&"@".repeat(MAX_KEPT + 1), &d).ends_with("\n... and 1 more error\n"));
}

#[test]
fn long_names_and_messages_are_clipped() {
    let name = "q".repeat(100_000);
    let src = format!("${name} = 1;\nmy $a = 1; goto {name};");
    let d = err(&src);
    for e in &d.items {
        assert!(
            e.message.chars().count() <= MAX_MESSAGE + 3,
            "{}",
            e.message
        );
        for n in &e.notes {
            assert!(n.chars().count() <= MAX_MESSAGE + 3, "{n}");
        }
    }
    let text = check_rendering(&src, &d);
    assert!(text.len() < 2_000, "{text}");
    // Diagnostics built by hand are bounded too, even with spans off the
    // source or inside a character.
    let mut d = err("$x = 1;");
    let mut e = d.items[0].clone();
    e.message = "m".repeat(50_000);
    e.notes = vec!["n".repeat(50_000); 100];
    e.span = 3..1_000_000;
    d.items = vec![e.clone(); 1_000];
    d.items[1].span = 1_000_000..2_000_000;
    d.source = format!("é{}", "x".repeat(10_000));
    d.items[2].span = 1..1;
    let text = d.render();
    assert!(text.len() < 64 << 10, "{} bytes", text.len());
    assert!(text.ends_with("\n... and 950 more errors\n"));
}

const PIECES: &[&str] = &[
    "noop; ",
    "$x = 1; ",
    "my $a = \"é€𝒳ж\"; ",
    "@",
    "goto nowhere; ",
    "my $y = ",
    ";",
    "\"",
    "1zz",
    "$a.\"m\"(1, :\"k\"($a)); ",
    "mold { ",
    "} ",
    "\n",
    "ééééééééééééééééééééééééééééééééééééééééé",
    "                                        ",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

    /// Whatever the errors and wherever they fall on long lines, every
    /// rendered block names the right position and quotes a consistent
    /// window with the caret under that column.
    #[test]
    fn rendering_agrees_with_the_source(
        pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..300),
    ) {
        let src = pieces.concat();
        if let Err(d) = compile(&src, "t.m0ld") {
            check_rendering(&src, &d);
        }
    }
}
