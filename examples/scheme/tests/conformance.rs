//! The conformance kit (`polyeval_core::testkit`) run on Scheme: one test
//! per check. Each program is an expression whose value is the function
//! the kit calls.

use polyeval_core::testkit::{Program, Subject};
use polyeval_core::{Interp, ScriptError};

struct Scheme;

impl Subject for Scheme {
    fn language(&self) -> &'static str {
        "scheme"
    }

    fn install(&self, rt: &mut Interp) -> Result<(), ScriptError> {
        polyeval_scheme::install(rt);
        Ok(())
    }

    fn source(&self, program: Program) -> String {
        match program {
            Program::Call => "(lambda (g x) (g x))",
            Program::Recurse => "(lambda (peer n) (if (= n 0) 0 (+ (peer (- n 1)) 1)))",
            Program::Raise => "(lambda (msg) (error msg))",
            Program::Catch => "(lambda (g x) (catch (lambda () (g x)) error-object-message))",
            Program::Spin => "(define (spin) (spin)) spin",
            Program::Sum => {
                "(lambda (n)
                   (let loop ((i 1) (s 0))
                     (if (> i n)
                         (begin (display s) (newline) s)
                         (loop (+ i 1) (+ s i)))))"
            }
        }
        .into()
    }
}

polyeval_core::conformance_tests!(Scheme);
