//! The REPL: values shown, multi-line input, errors reported and the
//! session going on with its definitions.

mod common;
use std::cell::RefCell;
use std::rc::Rc;

use polyeval_core::Cx;

#[test]
fn repl_session() {
    let (mut rt, out) = common::interp();
    let err = common::Buf::default();
    rt.set_errput(Box::new(err.clone()));
    let lines: Vec<&str> = vec![
        "(define (sq x) (* x x))",
        "(sq 12)",
        "(list 1",
        "  \"two\")",
        "(car '())",
        "(display \"hi\") (sq 3)",
        "(oops",
        "))",
    ];
    let prompts = Rc::new(RefCell::new(Vec::new()));
    let seen = prompts.clone();
    let mut lines = lines.into_iter();
    let read = Box::new(move |_: &mut Cx, prompt: &str| {
        seen.borrow_mut().push(prompt.to_owned());
        lines.next().map(str::to_owned)
    });
    let lang = rt.language("scheme").unwrap();
    let repl = lang
        .repl(rt.cx(), read)
        .unwrap()
        .expect("Scheme has a REPL");
    rt.start(repl);
    rt.run().expect("the REPL ends normally");
    assert_eq!(out.text(), "144\n(1 \"two\")\nhi9\n\n");
    let errors = err.text();
    assert!(
        errors.contains("error: stdin:1:1: car: expected a pair, got ()"),
        "{errors}"
    );
    assert!(
        errors.contains("error: stdin:2:2: unexpected ')'"),
        "{errors}"
    );
    assert_eq!(
        *prompts.borrow(),
        ["> ", "> ", "> ", ">> ", "> ", "> ", "> ", ">> ", "> "]
    );
}
