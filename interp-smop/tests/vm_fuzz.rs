//! Random m0ld programs run on the VM under a step budget must never panic
//! and never hit an internal error: every failure a script can cause is a
//! script error (or the budget), whatever the methods, arguments, jumps and
//! step quantum. The budget keeps each case under about 50,000 instructions;
//! an unbounded quantum is left out, since a jump-only loop then never
//! returns to the run loop and no step budget could stop it, and `infix:~`
//! is left out, since a concatenation loop grows strings exponentially.

use polyeval_core::{ErrorKind, Interp, RunError};
use polyeval_smop::{asm, prelude};
use proptest::prelude::*;

const METHODS: &[&str] = &[
    "FETCH",
    "STORE",
    "new",
    "lookup",
    "postcircumfix:{ }",
    "postcircumfix:[ ]",
    "postcircumfix:( )",
    "push",
    "pop",
    "shift",
    "unshift",
    "elems",
    "keys",
    "exists",
    "delete",
    "clone",
    "outer",
    "positional",
    "named",
    "print",
    "say",
    "infix:+",
    "infix:-",
    "infix:*",
    "infix:/",
    "infix:%",
    "infix:==",
    "infix:!=",
    "infix:<",
    "infix:<=",
    "infix:>",
    "infix:>=",
    "prefix:-",
    "true",
    "defined",
    "Str",
    "Int",
    "Num",
    "continuation",
    "goto",
    "back",
    "setr",
    "catch",
    "warn",
    "die",
    "raise",
    "on_interrupt",
    "message",
    "kind",
    "backtrace",
    "no_such_method",
];

const SETUP: &str = r#"my $interpreter;
my $scope;
my $r0 = $scope."lookup"("$OUT");
$r0 = $r0."FETCH"();
my $r1 = $scope."lookup"("Array");
$r1 = $r1."FETCH"();
my $r2 = $scope."lookup"("Hash");
$r2 = $r2."FETCH"();
my $r3 = $scope."lookup"("LexicalScope");
$r3 = $r3."FETCH"();
my $r4 = $scope."lookup"("Code");
$r4 = $r4."FETCH"();
my $r5 = $r1."new"(1, "two", 3.5);
my $r6 = $r2."new"();
my $r7 = $interpreter."continuation"();
my $r8 = 7;
my $r9 = "text";
my $body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $x = $capture."positional"(0);
    my $y = $x."Str"();
};
my $r10 = $r4."new"(:"outer"($scope), :"mold"($body));
my $r11 = $scope;
"#;

fn operand() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..12).prop_map(|r| format!("$r{r}")),
        Just("$interpreter".to_owned()),
        (-3i64..10).prop_map(|i| i.to_string()),
        Just("\"k\"".to_owned()),
        Just("\"$OUT\"".to_owned()),
        Just("0.5".to_owned()),
    ]
}

fn statement(nlabels: u32) -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (0u32..12, operand(), prop::sample::select(METHODS), prop::collection::vec(operand(), 0..3))
            .prop_map(|(d, inv, m, args)| {
                let inv = if inv.starts_with('$') { inv } else { "$r8".to_owned() };
                format!("$r{d} = {inv}.\"{m}\"({});", args.join(", "))
            }),
        1 => (0u32..12, 0u32..12).prop_map(|(d, s)| format!("$r{d} = $r{s};")),
        1 => (0u32..12, 0..nlabels, 0..nlabels)
            .prop_map(|(c, a, b)| format!("if $r{c} {{ goto l{a} }} else {{ goto l{b} }};")),
        1 => (0..nlabels).prop_map(|l| format!("goto l{l};")),
    ]
}

fn program() -> impl Strategy<Value = String> {
    prop::collection::vec(statement(6), 1..30).prop_map(|stmts| {
        let mut src = SETUP.to_owned();
        for (i, s) in stmts.iter().enumerate() {
            // Spread the six labels over the statements.
            if i % 5 == 0 && i / 5 < 6 {
                src.push_str(&format!("l{}: ", i / 5));
            }
            src.push_str(s);
            src.push('\n');
        }
        for l in (stmts.len().div_ceil(5)).min(6)..6 {
            src.push_str(&format!("l{l}: noop;\n"));
        }
        src
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_programs_never_panic(src in program(), quantum in prop::sample::select(vec![1u32, 3, 50])) {
        let mold = match asm::compile(&src, "fuzz.m0ld") {
            Ok(m) => m,
            Err(d) => return Err(TestCaseError::fail(format!("setup must compile:\n{}\n{src}", d.render()))),
        };
        let mut rt = Interp::new();
        rt.set_output(Box::new(std::io::sink()));
        rt.set_errput(Box::new(std::io::sink()));
        rt.set_quantum(quantum);
        rt.set_max_steps(Some(1000));
        let frame = prelude::top_frame(rt.cx(), mold);
        rt.start(Box::new(frame));
        match rt.run() {
            Ok(_) | Err(RunError::StepBudget { .. }) | Err(RunError::Interrupted { .. }) => {}
            Err(RunError::Script(e)) => {
                prop_assert_ne!(e.kind, ErrorKind::Panic, "{}\n{}", e.report(), src);
                prop_assert!(!e.message.contains("internal error"), "{}\n{}", e.report(), src);
            }
            Err(other) => prop_assert!(false, "{other}\n{src}"),
        }
    }
}
