//! The conformance kit (`polyeval_core::testkit`) run on m0ld: one test
//! per check. m0ld has no loops but `goto` and no operators but methods
//! (`infix:+`, `infix:<`), so the programs are written that way; each
//! chunk builds a `Code` in its last register, which is what the chunk
//! answers.

use polyeval_core::testkit::{Program, Subject};
use polyeval_core::{Interp, ScriptError};

/// The start of every chunk: the prelude's `Code` class in `$Code`.
const HEAD: &str = r#"my $interpreter;
my $scope;
my $Code = $scope."lookup"("Code");
$Code = $Code."FETCH"();
"#;

/// The end of every chunk: the body as a `Code`, written last.
const TAIL: &str = r#"my $f = $Code."new"(:"outer"($scope), :"mold"($body));
"#;

const CALL: &str = r#"my $body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $g = $capture."positional"(0);
    my $x = $capture."positional"(1);
    my $r = $g."postcircumfix:( )"($x);
};
"#;

const RECURSE: &str = r#"my $body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $peer = $capture."positional"(0);
    my $n = $capture."positional"(1);
    my $zero = $n."infix:=="(0);
    if $zero { goto base } else { goto recurse };
    base: $n = 0;
    goto end;
    recurse: noop;
    my $m = $n."infix:-"(1);
    $m = $peer."postcircumfix:( )"($m);
    $n = $m."infix:+"(1);
    end: noop;
};
"#;

const RAISE: &str = r#"my $body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $msg = $capture."positional"(0);
    $interpreter."die"($msg);
};
"#;

/// A catch handler on the body's own frame: its result, the error's
/// message, becomes the result of the failed call.
const CATCH: &str = r#"my $body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $Code = $scope."lookup"("Code");
    $Code = $Code."FETCH"();
    my $handler_body = mold {
        my $interpreter;
        my $scope;
        my $capture;
        my $err = $capture."positional"(0);
        my $msg = $err."message"();
    };
    my $handler = $Code."new"(:"outer"($scope), :"mold"($handler_body));
    my $k = $interpreter."continuation"();
    $k."catch"($handler);
    my $g = $capture."positional"(0);
    my $x = $capture."positional"(1);
    my $r = $g."postcircumfix:( )"($x);
};
"#;

const SPIN: &str = r#"my $body = mold {
    my $interpreter;
    my $scope;
    top: noop;
    goto top;
};
"#;

const SUM: &str = r#"my $body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $n = $capture."positional"(0);
    my $i = 0;
    my $total = 0;
    loop: noop;
    my $more = $i."infix:<"($n);
    if $more { goto step } else { goto done };
    step: $i = $i."infix:+"(1);
    $total = $total."infix:+"($i);
    goto loop;
    done: noop;
    my $OUT = $scope."lookup"("$OUT");
    $OUT = $OUT."FETCH"();
    $OUT."say"($total);
    $total = $total."FETCH"();
};
"#;

struct M0ld;

impl Subject for M0ld {
    fn language(&self) -> &'static str {
        "m0ld"
    }

    fn interpreter(&self) -> &'static str {
        "smop"
    }

    fn install(&self, rt: &mut Interp) -> Result<(), ScriptError> {
        polyeval_smop::prelude::install(rt);
        Ok(())
    }

    fn source(&self, program: Program) -> String {
        let body = match program {
            Program::Call => CALL,
            Program::Recurse => RECURSE,
            Program::Raise => RAISE,
            Program::Catch => CATCH,
            Program::Spin => SPIN,
            Program::Sum => SUM,
        };
        format!("{HEAD}{body}{TAIL}")
    }
}

polyeval_core::conformance_tests!(M0ld);
