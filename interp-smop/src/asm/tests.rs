//! Tests of the m0ld assembler: the instructions each construct compiles
//! to, register and constant layout, nested molds, every diagnostic class
//! with its position and rendering, and property tests that malformed
//! input never panics.

use std::rc::Rc;

use polyeval_core::{Ident, Value};
use proptest::prelude::*;

use super::{compile, Diagnostics};
use crate::mold::{Mold, MoldObject, Pos};
use crate::ops::Op;

fn ok(src: &str) -> Rc<Mold> {
    match compile(src, "t.m0ld") {
        Ok(m) => m,
        Err(d) => panic!("unexpected errors:\n{}", d.render()),
    }
}

fn err(src: &str) -> Diagnostics {
    match compile(src, "t.m0ld") {
        Ok(m) => panic!("compiled unexpectedly:\n{}", m.disassemble()),
        Err(d) => d,
    }
}

fn decode(m: &Mold) -> Vec<Op<'_>> {
    let mut out = Vec::new();
    let mut pc = 0;
    while pc < m.code.len() {
        let (op, next) = Op::decode(&m.code, pc).expect("decodes");
        out.push(op);
        pc = next;
    }
    out
}

fn id(name: &str) -> Ident {
    Ident::new(name)
}

fn nested(m: &Mold, i: usize) -> Rc<Mold> {
    m.consts[i]
        .downcast::<MoldObject>()
        .expect("a mold constant")
        .0
        .clone()
}

fn names(m: &Mold) -> Vec<Option<&str>> {
    m.reg_names.iter().map(|n| n.as_deref()).collect()
}

/// The first diagnostic as `line:col: message`.
fn first(d: &Diagnostics) -> String {
    let e = &d.items[0];
    format!("{}:{}: {}", e.line, e.col, e.message)
}

#[test]
fn call_with_positional_named_and_literal_arguments() {
    let m = ok("my $a; my $b;\nmy $x = $a.\"m\"($b, 42, \"text\", :\"named\"($b), 42);");
    assert_eq!(&*m.name, "main");
    assert_eq!(&*m.file, "t.m0ld");
    assert_eq!(m.nfree, 3);
    assert_eq!(names(&m), [Some("$a"), Some("$b"), Some("$x")]);
    assert!(matches!(m.consts[0], Value::Int(42)));
    assert_eq!(m.consts[1].as_bytes(), Some(&b"text"[..]));
    assert_eq!(m.consts.len(), 2);
    let named = [id("named").index(), 1];
    assert_eq!(
        decode(&m),
        [Op::Call {
            dst: 2,
            inv: 0,
            method: id("m"),
            pos: &[1, 3, 4, 3],
            named: &named,
        }]
    );
    assert_eq!(m.positions, [(0, Pos { line: 2, col: 1 })]);
}

#[test]
fn named_arguments_interleave_and_names_may_hold_punctuation() {
    let m = ok("my $o; my $v; $o.\"postcircumfix:( )\"(:\"a b\"($v), $v, :\"c\"(1), 2);");
    let named = [id("a b").index(), 1, id("c").index(), 3];
    assert_eq!(
        decode(&m),
        [Op::Call {
            dst: 2,
            inv: 0,
            method: id("postcircumfix:( )"),
            pos: &[1, 4],
            named: &named,
        }]
    );
    assert_eq!(names(&m), [Some("$o"), Some("$v"), None]);
}

#[test]
fn empty_argument_list_and_literal_invocants() {
    let m = ok("my $r = 1.\"infix:+\"(2); $r = \"s\".\"Str\"(); $r = 1.5.\"Int\"();");
    assert_eq!(m.nfree, 1);
    assert_eq!(
        decode(&m),
        [
            Op::Call1 {
                dst: 0,
                inv: 1,
                method: id("infix:+"),
                arg: 2
            },
            Op::Call0 {
                dst: 0,
                inv: 3,
                method: id("Str")
            },
            Op::Call0 {
                dst: 0,
                inv: 4,
                method: id("Int")
            },
        ]
    );
}

#[test]
fn assignments_are_moves_and_constants_are_deduplicated() {
    let m = ok(
        "my $a = 5; my $b = 5; my $c = 5.0; my $d = \"5\"; $a = $d; $b = 5.0; $c = -0.0; $d = 0.0;",
    );
    assert_eq!(m.nfree, 4);
    assert_eq!(m.consts.len(), 5, "{:?}", m.consts);
    assert!(matches!(m.consts[0], Value::Int(5)));
    assert!(matches!(m.consts[1], Value::Float(f) if f == 5.0));
    assert_eq!(m.consts[2].as_bytes(), Some(&b"5"[..]));
    assert!(matches!(m.consts[3], Value::Float(f) if f == 0.0 && f.is_sign_negative()));
    assert!(matches!(m.consts[4], Value::Float(f) if f == 0.0 && f.is_sign_positive()));
    assert_eq!(
        decode(&m),
        [
            Op::Move { dst: 0, src: 4 },
            Op::Move { dst: 1, src: 4 },
            Op::Move { dst: 2, src: 5 },
            Op::Move { dst: 3, src: 6 },
            Op::Move { dst: 0, src: 3 },
            Op::Move { dst: 1, src: 5 },
            Op::Move { dst: 2, src: 7 },
            Op::Move { dst: 3, src: 8 },
        ]
    );
}

#[test]
fn redeclaration_allocates_a_new_register() {
    let m = ok("my $a; my $a = $a; $a = 1; my $void;");
    assert_eq!(m.nfree, 3);
    assert_eq!(names(&m), [Some("$a"), Some("$a"), Some("$void")]);
    assert_eq!(
        decode(&m),
        [Op::Move { dst: 1, src: 0 }, Op::Move { dst: 1, src: 3 }]
    );
}

#[test]
fn scratch_register_comes_after_all_declarations() {
    let m = ok("my $interpreter; $interpreter.\"warn\"(\"x\"); my $scope; $scope.\"m\"();");
    assert_eq!(m.nfree, 3);
    assert_eq!(names(&m), [Some("$interpreter"), Some("$scope"), None]);
    let ops = decode(&m);
    assert!(matches!(ops[0], Op::Call1 { dst: 2, inv: 0, .. }));
    assert!(matches!(ops[1], Op::Call0 { dst: 2, inv: 1, .. }));
}

#[test]
fn labels_goto_and_if() {
    let src = "my $c;\ntop: noop;\nif $c { goto top } else { goto end; };\ngoto top;\nend: noop;\n";
    let m = ok(src);
    assert_eq!(
        decode(&m),
        [
            Op::Noop {},
            Op::If {
                cond: 0,
                then: 0,
                otherwise: 7,
            },
            Op::Goto { target: 0 },
            Op::Noop {},
        ]
    );
    assert_eq!(
        m.positions,
        [
            (0, Pos { line: 2, col: 6 }),
            (1, Pos { line: 3, col: 1 }),
            (5, Pos { line: 4, col: 1 }),
            (7, Pos { line: 5, col: 6 }),
        ]
    );
}

#[test]
fn if_without_else_falls_through_and_labels_may_stack() {
    let m = ok("my $c = 1; a: b:\n c: if $c { goto z }; z: noop; goto a; goto b; goto c;");
    assert_eq!(
        decode(&m),
        [
            Op::Move { dst: 0, src: 1 },
            Op::If {
                cond: 0,
                then: 7,
                otherwise: 7,
            },
            Op::Noop {},
            Op::Goto { target: 3 },
            Op::Goto { target: 3 },
            Op::Goto { target: 3 },
        ]
    );
}

#[test]
fn labels_on_declarations_point_at_the_next_instruction_or_the_end() {
    let m = ok("goto a; a: my $x; noop; goto b; b: my $y;");
    assert_eq!(
        decode(&m),
        [Op::Goto { target: 2 }, Op::Noop {}, Op::Goto { target: 5 },]
    );
    assert_eq!(m.code.len(), 5);
    m.validate().expect("valid");
}

#[test]
fn nested_mold_is_a_constant_with_its_own_mold() {
    let src = "my $interpreter; my $scope;\nmy $code = mold {\n  my $interpreter; my $scope; my $capture;\n  l: $capture.\"elems\"(); goto l;\n};\n$scope.\"m\"(mold { noop; }, :\"mold\"(mold { my $q = 7; }));";
    let m = ok(src);
    assert_eq!(m.nfree, 4);
    assert_eq!(m.consts.len(), 3);
    let inner = nested(&m, 0);
    assert_eq!(&*inner.name, "mold@2");
    assert_eq!(inner.nfree, 4);
    assert_eq!(
        names(&inner),
        [Some("$interpreter"), Some("$scope"), Some("$capture"), None]
    );
    assert_eq!(
        decode(&inner),
        [
            Op::Call0 {
                dst: 3,
                inv: 2,
                method: id("elems")
            },
            Op::Goto { target: 0 },
        ]
    );
    assert_eq!(inner.positions[0].1, Pos { line: 4, col: 6 });
    let second = nested(&m, 1);
    assert_eq!(&*second.name, "mold@6");
    assert_eq!(decode(&second), [Op::Noop {}]);
    let third = nested(&m, 2);
    assert!(matches!(third.consts[0], Value::Int(7)));
    let named = [id("mold").index(), 6];
    assert_eq!(
        decode(&m),
        [
            Op::Move { dst: 2, src: 4 },
            Op::Call {
                dst: 3,
                inv: 1,
                method: id("m"),
                pos: &[5],
                named: &named,
            },
        ]
    );
    assert!(m.disassemble().contains("mold mold@2"));
}

#[test]
fn nested_molds_do_not_see_outer_registers_or_labels() {
    let d = err("my $x;\nl: noop;\nmy $c = mold {\n  $x.\"m\"();\n  goto l;\n};");
    assert_eq!(d.items.len(), 2, "{}", d.render());
    assert_eq!(first(&d), "4:3: undeclared register $x");
    assert_eq!(
        format!(
            "{}:{}: {}",
            d.items[1].line, d.items[1].col, d.items[1].message
        ),
        "5:8: undefined label `l`"
    );
    // Labels of different molds do not clash either.
    ok("l: noop; my $c = mold { l: noop; goto l; }; goto l;");
}

#[test]
fn string_escapes_and_non_utf8_bytes_round_trip() {
    let m = ok("my $s = \"a\\xff\\x00\\xC3\\n\\t\\r\\0\\\\\\\"é#\";");
    assert_eq!(
        m.consts[0].as_bytes(),
        Some(&b"a\xff\x00\xc3\n\t\r\0\\\"\xc3\xa9#"[..])
    );
    let m = ok("my $s = \"\\xfe\"; my $t = \"\\xFE\"; my $u = \"\\xfd\";");
    assert_eq!(m.consts.len(), 2);
    assert_eq!(m.consts[0].as_bytes(), Some(&[0xfe][..]));
}

#[test]
fn number_literals() {
    let m = ok("my $a = 1.5; $a = -2.0; $a = 1e10; $a = 2.5e-3; $a = 3E+2; $a = -9223372036854775808; $a = 9223372036854775807; $a = -7;");
    let got: Vec<String> = m.consts.iter().map(|c| format!("{c:?}")).collect();
    let want: Vec<Value> = vec![
        Value::Float(1.5),
        Value::Float(-2.0),
        Value::Float(1e10),
        Value::Float(2.5e-3),
        Value::Float(300.0),
        Value::Int(i64::MIN),
        Value::Int(i64::MAX),
        Value::Int(-7),
    ];
    let want: Vec<String> = want.iter().map(|c| format!("{c:?}")).collect();
    assert_eq!(got, want);
}

#[test]
fn comments_and_free_whitespace() {
    let m = ok("# header\nmy $a;\nmy $b # the register\n =\n\t$a . \"m\" ( ) ; # done\n# end");
    assert_eq!(decode(&m).len(), 1);
    assert_eq!(m.positions[0].1, Pos { line: 3, col: 1 });
}

#[test]
fn empty_source_is_an_empty_mold() {
    let m = ok("  # nothing\n");
    assert!(m.code.is_empty());
    assert_eq!(m.nregs(), 0);
}

#[test]
fn diagnostics_have_the_right_positions() {
    let cases: &[(&str, &str)] = &[
        ("my $a;\n$a = $b;", "2:6: undeclared register $b"),
        ("noop;\n  goto nowhere;", "2:8: undefined label `nowhere`"),
        ("x: noop;\nx: noop;", "2:1: duplicate label `x`"),
        ("my $s = \"abc;\n", "1:9: unterminated string literal"),
        ("my $s = \"a\\qb\";", "1:11: unknown escape `\\q`"),
        (
            "my $s = \"\\x4g\";",
            "1:10: invalid `\\x` escape: expected two hex digits",
        ),
        ("my $a;\n  $a = @;", "2:8: unexpected character `@`"),
        ("my $é;", "1:4: expected a register name after `$`"),
        ("my $a = \"é\" ~ 1;", "1:13: unexpected character `~`"),
        (
            "my $a = 1\nmy $b;",
            "1:10: expected `;` after statement, found keyword `my`",
        ),
        (
            "my $a = mold {\n noop;\n",
            "1:14: unterminated `mold` block",
        ),
        ("noop; }", "1:7: unexpected `}`"),
        (
            "my $a = 99999999999999999999;",
            "1:9: integer literal `99999999999999999999` does not fit in 64 bits",
        ),
        ("my $a = 12ab;", "1:9: invalid number literal `12ab`"),
        (
            "my $a = 1e999;",
            "1:9: float literal `1e999` is out of range",
        ),
        (
            "my $a; $a.m();",
            "1:11: expected a method name in double quotes, found `m`",
        ),
        (
            "my $a; $a.\"m\"($a $a);",
            "1:18: expected `,` or `)`, found register `$a`",
        ),
        (
            "my $a; $a;",
            "1:10: expected `=` or `.` after register `$a`, found `;`",
        ),
        (
            "my $a; 42;",
            "1:10: expected `.` and a method call, found `;`",
        ),
        ("foo;", "1:1: expected a statement, found `foo`"),
        ("end:", "1:5: expected a statement, found end of input"),
        (
            "noop: noop;",
            "1:1: keyword `noop` cannot be used as a label",
        ),
        (
            "my $c; if $c goto a;",
            "1:14: expected `{ goto label }`, found keyword `goto`",
        ),
        (
            "my $c; if $c { noop };",
            "1:16: expected `goto` (a branch is `{ goto label }`), found keyword `noop`",
        ),
        (
            "my = 1;",
            "1:4: expected a register name after `my`, found `=`",
        ),
        (
            "my $a = ;",
            "1:9: expected a register, a literal or `mold { ... }`, found `;`",
        ),
        (
            "my $a; $a.\"\\xff\"();",
            "1:11: method name is not valid UTF-8",
        ),
        (
            "my $a; $a.\"m\"(:x($a));",
            "1:16: expected a named argument's name in double quotes, found `x`",
        ),
    ];
    for (src, want) in cases {
        let d = err(src);
        assert_eq!(&first(&d), want, "for {src:?}:\n{}", d.render());
        assert!(!d.render().is_empty());
    }
}

#[test]
fn duplicate_label_notes_the_first_definition() {
    let d = err("x: noop;\nx: noop;");
    assert_eq!(d.items[0].notes, ["`x` is first defined at 1:1"]);
}

#[test]
fn rendering_shows_the_file_position_and_source_line() {
    let d = err("my $interpreter;\nmy $scope;\n$void = $scope.\"lookup\"(\"x\");\n");
    assert_eq!(d.items.len(), 1);
    assert_eq!(d.to_string(), "t.m0ld:3:1: undeclared register $void");
    let text = d.render();
    assert!(text.contains("error: undeclared register $void"), "{text}");
    assert!(text.contains("t.m0ld:3:1"), "{text}");
    assert!(
        text.contains("3 | $void = $scope.\"lookup\"(\"x\");"),
        "{text}"
    );
    assert!(text.contains("^^^^^"), "{text}");
    assert!(
        text.contains("= declare it first with `my $void;`"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colour codes: {text}");
    let boxed: Box<dyn std::error::Error> = Box::new(d.clone());
    assert_eq!(boxed.to_string(), d.to_string());
}

#[test]
fn several_errors_are_reported_after_recovery() {
    let src = "my $a = ;\nmy $b = $a.\"m\"(;\nif $a { goto } ;\n$b = $zz;\nmy $c = mold { $q = 1; noop };\ngoto $a;\n";
    let d = err(src);
    let got: Vec<String> = d
        .items
        .iter()
        .map(|e| format!("{}:{}: {}", e.line, e.col, e.message))
        .collect();
    assert_eq!(
        got,
        [
            "1:9: expected a register, a literal or `mold { ... }`, found `;`",
            "2:16: expected a register, a literal or `mold { ... }`, found `;`",
            "3:14: expected a label, found `}`",
            "4:6: undeclared register $zz",
            "5:16: undeclared register $q",
            "5:28: expected `;` after statement, found `}`",
            "6:6: expected a label, found register `$a`",
        ],
        "{}",
        d.render()
    );
}

#[test]
fn lexer_errors_do_not_cascade() {
    let d = err("my $a = @x;\nmy $b = $a;\n");
    assert_eq!(d.items.len(), 1, "{}", d.render());
    let d = err("my $a = \"\\q\";\n$a = $a;\n");
    assert_eq!(d.items.len(), 1, "{}", d.render());
}

#[test]
fn column_counts_characters() {
    let d = err("my $s = \"ééé\"; $t = 1;");
    assert_eq!(first(&d), "1:16: undeclared register $t");
    assert!(d.render().contains("t.m0ld:1:16"), "{}", d.render());
}

fn nest(depth: usize) -> String {
    let mut s = String::from("my $c = ");
    for _ in 0..depth {
        s.push_str("mold { my $c = ");
    }
    s.push('1');
    for _ in 0..depth {
        s.push_str("; }");
    }
    s.push(';');
    s
}

#[test]
fn nesting_depth_is_capped() {
    let m = ok(&nest(200));
    let mut inner = m;
    for _ in 0..200 {
        inner = nested(&inner, 0);
    }
    assert!(matches!(inner.consts[0], Value::Int(1)));
    let d = err(&nest(201));
    assert_eq!(d.items.len(), 1, "{}", d.render());
    assert!(d.items[0].message.contains("nested too deeply"));
    // Deeper and unterminated input is an error, not a stack overflow.
    let deep = "mold {".repeat(10_000);
    let d = err(&deep);
    assert!(d.items.len() <= 100);
    let d = err(&nest(5_000));
    assert!(d.items[0].message.contains("nested too deeply"));
}

#[test]
fn nesting_does_not_use_native_stack() {
    // Parsing and code generation do not recurse into nested blocks, so
    // the deepest accepted program compiles on a small stack.
    let small = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(|| {
            let m = ok(&nest(200));
            assert_eq!(m.consts.len(), 1);
            let d = err(&nest(1_000));
            assert_eq!(d.items.len(), 1);
        })
        .expect("spawns");
    assert!(small.join().is_ok(), "compiles on a small stack");
}

#[test]
fn rendered_example() {
    let d = err("my $interpreter;\nmy $s = \"a\\qb\";\n  goto nowhere;\nmy $x = 1\n");
    let want = r#"error: unknown escape `\q`
  --> t.m0ld:2:11
  |
2 | my $s = "a\qb";
  |           ^^
  |
  = valid escapes are \n \t \r \0 \\ \" and \xHH

error: undefined label `nowhere`
  --> t.m0ld:3:8
  |
3 |   goto nowhere;
  |        ^^^^^^^

error: expected `;` after statement, found end of input
  --> t.m0ld:4:10
  |
4 | my $x = 1
  |          ^

"#;
    assert_eq!(d.render(), want);
}

#[test]
fn too_many_errors_are_capped() {
    let d = err(&"@".repeat(1000));
    assert_eq!(d.items.len(), 50);
    assert_eq!(d.omitted, 950);
    assert!(d.render().ends_with("\n... and 950 more errors\n"));
}

// --- property tests -------------------------------------------------------

/// The line and column (in characters) of byte `at`.
fn line_col(src: &str, at: usize) -> (u32, u32) {
    let mut line = 1;
    let mut col = 1;
    for (i, c) in src.char_indices() {
        if i >= at {
            break;
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    (line, col)
}

fn validate_all(m: &Mold) {
    m.validate().expect("every compiled mold validates");
    assert_eq!(m.reg_names.len(), m.nfree as usize);
    assert_eq!(m.positions.len(), decode(m).len());
    assert!(m.positions.windows(2).all(|w| w[0].0 < w[1].0));
    for c in &m.consts {
        if let Some(inner) = c.downcast::<MoldObject>() {
            validate_all(&inner.0);
        }
    }
}

/// `compile` returns, every Ok mold validates, every diagnostic's
/// position matches its span and rendering works.
fn check(src: &str) {
    match compile(src, "p.m0ld") {
        Ok(m) => validate_all(&m),
        Err(d) => {
            assert!(!d.items.is_empty());
            for e in &d.items {
                assert!(!e.message.starts_with("internal"), "{}", e.message);
                assert!(e.span.start <= e.span.end && e.span.end <= src.len());
                assert!(src.is_char_boundary(e.span.start) && src.is_char_boundary(e.span.end));
                assert_eq!(line_col(src, e.span.start), (e.line, e.col), "{e}");
            }
            let text = d.render();
            let e = &d.items[0];
            assert!(
                text.contains(&format!("p.m0ld:{}:{}", e.line, e.col)),
                "{text}"
            );
            let _ = d.to_string();
        }
    }
}

const TOKENS: &[&str] = &[
    "my",
    "goto",
    "if",
    "else",
    "noop",
    "mold",
    "$a",
    "$b",
    "$interpreter",
    "$_x9",
    "$",
    "l",
    "end",
    "=",
    ".",
    ",",
    ":",
    ";",
    "(",
    ")",
    "{",
    "}",
    "\"m\"",
    "\"infix:+\"",
    "\"a\\xff\"",
    "\"\\q\"",
    "\"",
    "\\",
    "42",
    "-7",
    "1.5",
    "2.5e-3",
    "1e",
    "1.",
    "-",
    "99999999999999999999",
    "#c\n",
    "\n",
    " ",
    "é",
    "@",
    "\t",
];

const PROGRAMS: &[&str] = &[
    "my $interpreter; my $scope;\nmy $out = $scope.\"lookup\"(\"$OUT\");\nmy $o = $out.\"FETCH\"();\n$o.\"say\"(\"hi\", 42, 1.5);\n",
    "my $interpreter; my $scope; my $i = 0; my $c;\nloop: $c = $i.\"infix:<\"(10);\nif $c { goto body } else { goto end };\nbody: $i = $i.\"infix:+\"(1);\ngoto loop;\nend: noop;\n",
    "my $interpreter; my $scope;\nmy $code = mold {\n  my $interpreter; my $scope; my $capture;\n  my $x = $capture.\"positional\"(0);\n  my $k = $interpreter.\"continuation\"();\n  my $back = $k.\"back\"();\n  $back.\"setr\"($x);\n  $interpreter.\"goto\"($back);\n};\nmy $Code = $scope.\"lookup\"(\"Code\");\nmy $c = $Code.\"new\"(:\"outer\"($scope), :\"mold\"($code));\nmy $r = $c.\"postcircumfix:( )\"(\"a\\xff\\n\");\n",
];

fn mutate(src: &str, edits: &[(u8, usize, usize, char)]) -> String {
    let mut chars: Vec<char> = src.chars().collect();
    for &(kind, at, len, c) in edits {
        if chars.is_empty() {
            chars.push(c);
            continue;
        }
        let at = at % chars.len();
        let end = (at + len % 8).min(chars.len());
        match kind % 3 {
            0 => {
                chars.drain(at..end);
            }
            1 => chars.insert(at, c),
            _ => {
                let dup: Vec<char> = chars[at..end].to_vec();
                chars.splice(at..at, dup);
            }
        }
    }
    chars.into_iter().collect()
}

fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::sample::select(vec![
            '$', '"', '\\', '{', '}', '(', ')', ';', ':', '.', ',', '=', '#', '\n', ' ', '-', '0',
            '9', 'x', 'e', 'é',
        ]),
        any::<char>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_strings_never_panic(src in any::<String>()) {
        check(&src);
    }

    #[test]
    fn token_soup_never_panics(
        toks in prop::collection::vec(prop::sample::select(TOKENS), 0..80),
        sep in prop::sample::select(vec!["", " ", "\n"]),
    ) {
        check(&toks.join(sep));
    }

    #[test]
    fn mutated_programs_never_panic(
        which in 0..PROGRAMS.len(),
        edits in prop::collection::vec((any::<u8>(), any::<usize>(), any::<usize>(), interesting_char()), 1..6),
    ) {
        check(&mutate(PROGRAMS[which], &edits));
    }

    #[test]
    fn byte_mutated_programs_never_panic(
        which in 0..PROGRAMS.len(),
        at in any::<usize>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = PROGRAMS[which].as_bytes().to_vec();
        let at = at % bytes.len();
        bytes[at] = byte;
        check(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn sample_programs_compile() {
    for p in PROGRAMS {
        validate_all(&ok(p));
    }
}

#[test]
fn continuing_code_sees_the_predeclared_registers_first() {
    let names = vec!["interpreter".to_owned(), "x".to_owned()];
    let c = super::compile_continuing("my $y = $x;\n$x.\"say\"();", "t", &names).expect("compiles");
    assert_eq!(
        &c.mold.reg_names[..3],
        &[
            Some("$interpreter".to_owned()),
            Some("$x".to_owned()),
            Some("$y".to_owned())
        ]
    );
    assert!(c.ends_in_call);
    let c = super::compile_continuing("my $z = 1;", "t", &names).expect("compiles");
    assert!(!c.ends_in_call);
    // Without the names, `$x` is undeclared.
    assert!(compile("my $y = $x;", "t").is_err());
}

#[test]
fn input_that_ends_too_soon_is_incomplete_and_other_errors_are_not() {
    for src in ["my $b = mold {\nmy $a;", "my $x =", "$x.\"m\"(1,", "goto"] {
        let d =
            super::compile_continuing(src, "t", &["x".to_owned()]).expect_err("does not compile");
        assert!(d.incomplete(), "{src:?}: {}", d.render());
    }
    for src in ["$nope = 1;", "my $x = );", "my $b = mold { $q = 1; };"] {
        let d =
            super::compile_continuing(src, "t", &["x".to_owned()]).expect_err("does not compile");
        assert!(!d.incomplete(), "{src:?}");
    }
}
