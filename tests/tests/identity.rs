//! Identity across the bridge, seen from the run-loop side (docs/design.md §2): a
//! Lua table crossing twice is the same object, and a run-loop object
//! crossing to Lua and back is the same object.

use polyeval_bridge::run::{new_loop, Options};
use polyeval_core::{same_object, Value};

#[test]
fn the_same_lua_value_is_the_same_object_and_back() {
    let mut rt = new_loop(
        &Options::new("identity.lua"),
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    )
    .expect("loop");
    let lua = polyeval_lua::LuaRuntime::of(rt.cx_ref()).expect("Lua installed");
    let t = lua.lua().create_table().expect("table");
    let (a, b) = (
        lua.from_lua(mlua::Value::Table(t.clone())),
        lua.from_lua(mlua::Value::Table(t.clone())),
    );
    let (Value::Obj(a), Value::Obj(b)) = (&a, &b) else {
        panic!("tables cross as objects");
    };
    assert!(same_object(a, b), "one Lua table, one run-loop object");
    let other = lua.from_lua(mlua::Value::Table(lua.lua().create_table().expect("table")));
    assert!(!same_object(a, other.as_obj().expect("object")));
    // Back to Lua: the very same table.
    let back = lua.to_lua(&Value::Obj(a.clone())).expect("to Lua");
    assert_eq!(back.to_pointer(), mlua::Value::Table(t).to_pointer());

    // A run-loop object crossing to Lua twice is one proxy, and comes back
    // as the same object.
    let hash = polyeval_smop::prelude::lookup(rt.cx(), b"Hash").expect("Hash");
    let p1 = lua.to_lua(&hash).expect("proxy");
    let p2 = lua.to_lua(&hash).expect("proxy");
    assert_eq!(p1.to_pointer(), p2.to_pointer(), "one object, one proxy");
    let again = lua.from_lua(p1);
    assert!(same_object(
        again.as_obj().expect("object"),
        hash.as_obj().expect("object")
    ));
}

#[test]
fn a_value_of_another_loops_lua_is_refused_not_an_abort() {
    let mk = || {
        new_loop(
            &Options::new("identity.lua"),
            Box::new(std::io::sink()),
            Box::new(std::io::sink()),
        )
        .expect("loop")
    };
    let (rt_a, rt_b) = (mk(), mk());
    let lua_a = polyeval_lua::LuaRuntime::of(rt_a.cx_ref()).expect("Lua installed");
    let lua_b = polyeval_lua::LuaRuntime::of(rt_b.cx_ref()).expect("Lua installed");
    let t = lua_a.from_lua(mlua::Value::Table(
        lua_a.lua().create_table().expect("table"),
    ));
    let want = polyeval_core::HostError::ForeignValue.to_string();
    let e = lua_b.to_lua(&t).expect_err("a table of another Lua state");
    assert!(e.message.contains(&want), "{}", e.message);
    let e = lua_b
        .set_global("x", &t)
        .expect_err("a table of another Lua state");
    assert!(e.message.contains(&want), "{}", e.message);
    // Its own loop still takes it.
    assert!(lua_a.to_lua(&t).is_ok());
}
