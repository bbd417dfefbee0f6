//! Values of one runtime's Lua are refused by another runtime, whatever
//! languages that one has, with `HostError::ForeignValue`, and a refused
//! `register` binds nothing anywhere.

use polyeval_bridge::{Builder, Runtime};
use polyeval_core::{HostError, RunError, Value};

/// m0ld that answers its prelude's `foreign`, or fails when it has none.
const LOOKUP: &str = r#"my $interpreter; my $scope;
    my $v = $scope."lookup"("foreign");
    my $r = $v."FETCH"();"#;

fn is_foreign<T: std::fmt::Debug>(r: Result<T, RunError>) -> bool {
    matches!(r, Err(RunError::Host(HostError::ForeignValue)))
}

/// A runtime `a` and a Lua function of its own, `return function(x) return
/// x * 2 end`.
fn runtime_with_a_lua_function() -> (Runtime, Value) {
    let mut a = Runtime::new().expect("runtime a");
    let f = a
        .eval("lua", "return function(x) return x * 2 end")
        .expect("a function");
    (a, f)
}

#[test]
fn a_runtime_without_lua_refuses_to_call_another_runtimes_lua_function() {
    let (mut a, f) = runtime_with_a_lua_function();
    let mut b = Builder::empty().m0ld().build().expect("runtime b");
    assert!(is_foreign(b.call::<i64>(&f, (3_i64,))));
    // `a` still calls its own function.
    assert_eq!(a.call::<i64>(&f, (3_i64,)).expect("a's call"), 6);
}

#[test]
fn registering_a_foreign_value_is_refused_before_any_language_binds_it() {
    let (_a, f) = runtime_with_a_lua_function();
    let mut b = Runtime::new().expect("runtime b");
    assert!(is_foreign(b.register("foreign", f)));
    // Neither of b's languages got the name.
    let lua_sees: bool = b.eval("lua", "return foreign == nil").expect("lua");
    assert!(lua_sees, "Lua bound a refused value");
    let m0ld = b.eval::<Value>("m0ld", LOOKUP);
    assert!(m0ld.is_err(), "m0ld bound a refused value: {m0ld:?}");
    // The same m0ld runs once the name is bound to a value of b's own.
    b.register("foreign", Value::str("own")).expect("register");
    let own: String = b.eval("m0ld", LOOKUP).expect("m0ld sees it");
    assert_eq!(own, "own");
}

#[test]
fn a_language_without_globals_does_not_stop_register_reaching_the_others() {
    use polyeval_core::{Cx, Language, ScriptError};
    use std::rc::Rc;
    /// A language that loads nothing and has no globals.
    struct Bare;
    impl Language for Bare {
        fn name(&self) -> &'static str {
            "bare"
        }
        fn extensions(&self) -> &'static [&'static str] {
            &["bare"]
        }
        fn check(&self, _rt: &mut Cx, _src: &[u8], _file: &str) -> Result<(), ScriptError> {
            Ok(())
        }
        fn load(&self, _rt: &mut Cx, _src: &[u8], file: &str) -> Result<Value, ScriptError> {
            Err(ScriptError::runtime(format!("bare loads nothing ({file})")))
        }
    }
    let mut rt = Builder::new()
        .language(|rt| rt.register_language(Rc::new(Bare)))
        .build()
        .expect("runtime");
    rt.register("shared", Value::Int(7)).expect("register");
    assert_eq!(rt.eval::<i64>("lua", "return shared").expect("lua"), 7);
}
