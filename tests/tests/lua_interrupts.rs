//! Interrupts reach pure Lua code through the count hook: a Lua loop that
//! never calls out still gives the run loop its turn when an interrupt
//! waits, and a handler written in Lua runs as a detour that the
//! interrupted code does not notice. Also: a Rust panic in a native method
//! that Lua calls is a script error Lua can catch, and the loop goes on.

use std::time::Duration;

use polyeval_bridge::run::{new_loop, Options};
use polyeval_core::{Ident, RunError, SendValue, Value};

fn lua_loop(src: &str) -> (polyeval_core::Interp, std::rc::Rc<polyeval_lua::LuaRuntime>) {
    let mut rt = new_loop(
        &Options::new("interrupts.lua"),
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    )
    .expect("loop");
    let lua = polyeval_lua::LuaRuntime::of(rt.cx_ref()).expect("Lua installed");
    let f = lua
        .load(src.as_bytes(), "interrupts.lua")
        .expect("compiles");
    polyeval_lua::start_main(&mut rt, &lua, f, &[]).expect("start");
    (rt, lua)
}

#[test]
fn sigint_stops_an_endless_lua_loop_with_status_130() {
    let (mut rt, _lua) = lua_loop("local i = 0 while true do i = i + 1 end");
    let h = rt.interrupt_handle();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        h.raise("SIGINT", SendValue::Nil).expect("loop alive");
    });
    match rt.run() {
        Err(e @ RunError::Interrupted { .. }) => assert_eq!(e.exit_status(), 130),
        other => panic!("expected an interrupt, got {other:?}"),
    }
    t.join().expect("raiser");
}

#[test]
fn a_lua_handler_runs_as_a_detour_the_loop_never_notices() {
    // The loop counts to a fixed number and checks its own state each time
    // round; the handler (Lua) counts how often it ran in a global. The
    // raising thread keeps going until the handler has run 5 times.
    let src = r#"
        handled = 0
        local sum, n = 0, 0
        while handled < 5 do
          n = n + 1
          sum = sum + n
          assert(sum == n * (n + 1) // 2, "the loop's own state changed")
        end
        return n
    "#;
    let (mut rt, lua) = lua_loop(src);
    let handler = lua
        .lua()
        .load("return function(kind, payload) handled = handled + 1 end")
        .eval::<mlua::Function>()
        .expect("handler");
    let handler = lua.from_lua(mlua::Value::Function(handler));
    rt.on_interrupt(Ident::new("tick"), Some(handler));
    let h = rt.interrupt_handle();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let t = std::thread::spawn(move || {
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = h.raise("tick", SendValue::Int(1));
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let r = rt.run();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    t.join().expect("raiser");
    match r {
        Ok(Value::Int(n)) => assert!(n > 0),
        other => panic!("unexpected {other:?}"),
    }
    assert!(rt.interrupts_delivered() >= 5);
}

#[test]
fn a_panic_in_a_native_method_called_from_lua_is_a_catchable_error() {
    let mut rt = new_loop(
        &Options::new("panic.lua"),
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    )
    .expect("loop");
    polyeval_smop::prelude::bind(
        rt.cx(),
        "boom",
        polyeval_core::NativeFn::value("boom", |_, _| panic!("kaboom")),
    );
    let lua = polyeval_lua::LuaRuntime::of(rt.cx_ref()).expect("Lua installed");
    let f = lua
        .load(
            br#"local ok, e = pcall(smop.lookup("boom"))
                local ok2 = pcall(smop.lookup("boom"))
                return (not ok and not ok2) and e or "no error""#,
            "panic.lua",
        )
        .expect("compiles");
    polyeval_lua::start_main(&mut rt, &lua, f, &[]).expect("start");
    match rt.run() {
        Ok(Value::Str(s)) => {
            let s = String::from_utf8_lossy(&s);
            assert!(s.contains("panic in native code: kaboom"), "{s}");
        }
        other => panic!("unexpected {other:?}"),
    }
}
