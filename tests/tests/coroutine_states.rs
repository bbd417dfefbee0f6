//! Coroutine records outlive nothing: one OS thread runs program after
//! program, each on a fresh run loop and Lua state. Coroutines that a
//! program leaves suspended (and its state then collects) must never touch
//! the coroutines of a later program on the same thread, whose run loop
//! reuses the same chain handles.

use polyeval_bridge::run::{execute, Options, SharedBuf};
use polyeval_tests::APPLY_M0LD;

/// Leaves coroutines suspended, some inside m0ld, when it ends.
fn leaves_suspended() -> String {
    format!(
        "local apply = smop.eval([[{APPLY_M0LD}]])\n{}",
        r#"
keep = {}
for i = 1, 20 do
  local co = coroutine.create(function() apply(function() coroutine.yield(i) end) end)
  coroutine.resume(co)
  keep[i] = co
  coroutine.wrap(function() coroutine.yield() end)()
end
print("left", #keep)
"#
    )
}

/// Uses coroutines after the first program's state is gone.
const USES_COROUTINES: &str = r#"
local got = {}
for i = 1, 10 do
  local gen = coroutine.wrap(function() for j = 1, 3 do coroutine.yield(i * j) end end)
  got[#got + 1] = gen() + gen() + gen()
  collectgarbage()
end
print("sums", table.concat(got, " "))
"#;

fn run(src: &str, name: &str) -> (i32, String, String) {
    let dir = std::env::temp_dir().join(format!("polyeval-costates-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join(name);
    std::fs::write(&file, src).expect("write");
    let (out, err) = (SharedBuf::default(), SharedBuf::default());
    let code = execute(
        &Options::new(&file),
        Box::new(out.clone()),
        Box::new(err.clone()),
    );
    (
        code,
        String::from_utf8_lossy(&out.contents()).into_owned(),
        String::from_utf8_lossy(&err.contents()).into_owned(),
    )
}

#[test]
fn programs_on_one_thread_keep_their_coroutines_apart() {
    for round in 0..5 {
        let (code, out, err) = run(&leaves_suspended(), &format!("leave{round}.lua"));
        assert_eq!((code, out.as_str()), (0, "left\t20\n"), "{err}");
        let (code, out, err) = run(USES_COROUTINES, &format!("use{round}.lua"));
        assert_eq!(
            (code, out.as_str()),
            (0, "sums\t6 12 18 24 30 36 42 48 54 60\n"),
            "round {round}: {err}"
        );
    }
}

/// Runs `src` as a main chunk on loop `rt`; answers its first result.
fn run_on(
    rt: &mut polyeval_core::Interp,
    lua: &std::rc::Rc<polyeval_lua::LuaRuntime>,
    src: &str,
) -> polyeval_core::Value {
    let f = lua.load(src.as_bytes(), "chunk.lua").expect("compiles");
    polyeval_lua::start_main(rt, lua, f, &[]).expect("start");
    rt.run().unwrap_or_else(|e| panic!("{}", e.report()))
}

#[test]
fn a_state_closing_beside_another_leaves_its_coroutines_alone() {
    use polyeval_bridge::run::new_loop;
    let opts = Options::new("embed.lua");
    let sink = || Box::new(std::io::sink());
    // Loop A leaves coroutines suspended; loop B, alive at the same time on
    // this thread, has suspended coroutines of its own when A's state
    // closes and collects A's.
    let mut a = new_loop(&opts, sink(), sink()).expect("loop A");
    let la = polyeval_lua::LuaRuntime::of(a.cx_ref()).expect("Lua in A");
    run_on(
        &mut a,
        &la,
        "keep = {} for i = 1, 10 do local co = coroutine.create(function() coroutine.yield(i) end) coroutine.resume(co) keep[i] = co end",
    );
    let mut b = new_loop(&opts, sink(), sink()).expect("loop B");
    let lb = polyeval_lua::LuaRuntime::of(b.cx_ref()).expect("Lua in B");
    run_on(
        &mut b,
        &lb,
        "gens = {} for i = 1, 10 do gens[i] = coroutine.wrap(function() for j = 1, 3 do coroutine.yield(i * j) end end) gens[i]() end",
    );
    drop(la);
    drop(a);
    let v = run_on(
        &mut b,
        &lb,
        "collectgarbage() local s = 0 for i = 1, 10 do s = s + gens[i]() + gens[i]() end return s",
    );
    // Each generator's second and third values: 2i + 3i.
    assert!(v.raw_eq(&polyeval_core::Value::Int(5 * 55)), "got {v:?}");
}
