//! A step budget or a probe schedule that the host sets after Lua was
//! installed (through `Runtime::interp`) still stops, or still probes, Lua
//! code that runs with no hook of its own: pure loops, loops inside a C
//! call, loops in a coroutine.
//!
//! Each run has a watchdog: a run still going after `DEADLINE` is ended by
//! a SIGTERM interrupt, and the test fails instead of hanging.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use polyeval_bridge::Runtime;
use polyeval_core::{DefaultAction, Ident, RunError, SendValue, Value};
use polyeval_lua::LuaConfig;

const DEADLINE: Duration = Duration::from_secs(20);

/// Evaluates `src` in Lua under a watchdog.
fn eval_watched(rt: &mut Runtime, src: &str) -> Result<(), RunError> {
    let (done, wait) = mpsc::channel::<()>();
    rt.interp()
        .set_default_action(Ident::SIGTERM, DefaultAction::Exit(143));
    let h = rt.interrupt_handle();
    let dog = std::thread::spawn(move || {
        if wait.recv_timeout(DEADLINE).is_err() {
            let _ = h.raise("SIGTERM", SendValue::Nil);
        }
    });
    let r = rt.eval::<()>("lua", src);
    let _ = done.send(());
    let _ = dog.join();
    r
}

fn late_budget(src: &str) {
    let mut rt = polyeval_bridge::Builder::empty()
        .lua(LuaConfig::default())
        .build()
        .expect("a runtime");
    rt.interp().set_max_steps(Some(5_000));
    match eval_watched(&mut rt, src) {
        Err(RunError::StepBudget { max_steps, .. }) => assert_eq!(max_steps, 5_000, "{src}"),
        other => panic!("{src}: expected the step budget, got {other:?}"),
    }
}

#[test]
fn a_budget_set_after_install_stops_a_pure_lua_loop() {
    late_budget("while true do end");
}

#[test]
fn a_budget_set_after_install_stops_a_loop_inside_a_c_call() {
    late_budget("table.sort({3, 2, 1}, function(a, b) while true do end end)");
}

#[test]
fn a_budget_set_after_install_stops_a_loop_in_a_coroutine() {
    late_budget("coroutine.wrap(function() while true do end end)()");
}

#[test]
fn a_budget_set_after_install_stops_a_loop_under_a_user_hook() {
    let config = LuaConfig {
        stdlib: polyeval_lua::Stdlib::All,
        ..LuaConfig::default()
    };
    for src in [
        "local n = 0\ndebug.sethook(function() n = n + 1 end, 'l')\nwhile true do end",
        "debug.sethook(function() end, 'l')\nwhile true do end",
    ] {
        let mut rt = polyeval_bridge::Builder::empty()
            .lua(config.clone())
            .build()
            .expect("a runtime");
        rt.interp().set_max_steps(Some(5_000));
        match eval_watched(&mut rt, src) {
            Err(RunError::StepBudget { .. }) => {}
            other => panic!("{src}: expected the step budget, got {other:?}"),
        }
    }
}

#[test]
fn probes_scheduled_after_install_reach_a_pure_lua_loop() {
    let mut rt = Runtime::new().expect("a runtime");
    let probes = Rc::new(Cell::new(0u32));
    let seen = probes.clone();
    rt.interp().schedule_probes(Some(1_000), &[]);
    rt.interp().on_interrupt_fn("probe", move |_, _| {
        seen.set(seen.get() + 1);
        Ok(Value::Nil)
    });
    let r = eval_watched(&mut rt, "local s = 0 for i = 1, 3e6 do s = s + i end");
    assert!(r.is_ok(), "{r:?}");
    assert!(probes.get() > 0, "no probe reached the loop");
}

#[test]
fn a_budget_set_after_install_leaves_a_finite_program_its_result() {
    let mut rt = Runtime::new().expect("a runtime");
    rt.interp().set_max_steps(Some(10_000_000));
    let v: i64 = rt
        .eval(
            "lua",
            "local s = 0 for i = 1, 100000 do s = s + i end return s",
        )
        .expect("within the budget");
    assert_eq!(v, 5_000_050_000);
}
