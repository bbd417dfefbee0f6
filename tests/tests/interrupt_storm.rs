//! The interrupt storm: four threads raise 100,000 user interrupts in all
//! while a mixed Lua/m0ld program runs. Every interrupt is handled exactly
//! once (the Lua handler counts each payload), and the program's own
//! output is what it is without the storm.

use polyeval_bridge::run::{new_loop, Options, SharedBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use polyeval_core::SendValue;
use polyeval_lua::Preempt;

const THREADS: i64 = 4;
const PER_THREAD: i64 = 25_000;

/// Lua calls an m0ld Code in a loop (each call a hand-off through the
/// run loop and back) and prints a checksum; then it waits, sleeping,
/// until the storm's interrupts have all been handled, and reports how
/// many payloads were seen and whether any was seen twice.
const PROGRAM: &str = r#"
local expected = tonumber(arg[1])
local seen, handled, twice = {}, 0, 0
polyeval.on_interrupt("storm", function(kind, id)
  if seen[id] then twice = twice + 1 end
  seen[id] = true
  handled = handled + 1
end)
-- The storm starts once the handler is in place.
polyeval.raise("ready")
local add = smop.eval([[
  my $interpreter;
  my $scope;
  my $Code = $scope."lookup"("Code");
  $Code = $Code."FETCH"();
  my $body = mold {
    my $interpreter;
    my $scope;
    my $capture;
    my $a = $capture."positional"(0);
    my $b = $capture."positional"(1);
    my $r = $a."infix:+"($b);
  };
  my $c = $Code."new"(:"outer"($scope), :"mold"($body));
]])
local sum = 0
for i = 1, 20000 do
  sum = add(sum, i % 7)
end
print("checksum " .. sum)
while handled < expected do
  polyeval.sleep(0.001)
end
local distinct = 0
for _ in pairs(seen) do distinct = distinct + 1 end
print(string.format("handled %d distinct %d twice %d", handled, distinct, twice))
"#;

fn run(storm: bool, preempt: Preempt) -> Vec<String> {
    let expected = if storm { THREADS * PER_THREAD } else { 0 };
    let out = SharedBuf::default();
    let mut opts = Options::new("storm.lua");
    opts.args = vec![expected.to_string()];
    opts.lua.preempt = preempt;
    let mut rt = new_loop(&opts, Box::new(out.clone()), Box::new(std::io::stderr())).expect("loop");
    let lua = polyeval_lua::LuaRuntime::of(rt.cx_ref()).expect("Lua");
    let arg = lua.lua().create_table().expect("table");
    arg.raw_set(1, expected).expect("arg");
    lua.lua().globals().set("arg", arg).expect("arg");
    let f = lua.load(PROGRAM.as_bytes(), "storm.lua").expect("compiles");
    polyeval_lua::start_main(&mut rt, &lua, f, &[]).expect("start");
    let go = Arc::new(AtomicBool::new(false));
    let flag = go.clone();
    rt.on_interrupt_fn("ready", move |_, _| {
        flag.store(true, Ordering::SeqCst);
        Ok(polyeval_core::Value::Nil)
    });
    let raisers: Vec<_> = (0..if storm { THREADS } else { 0 })
        .map(|t| {
            let h = rt.interrupt_handle();
            let go = go.clone();
            std::thread::spawn(move || {
                while !go.load(Ordering::SeqCst) {
                    std::thread::yield_now();
                }
                for i in 0..PER_THREAD {
                    h.raise("storm", SendValue::Int(t * PER_THREAD + i))
                        .expect("the loop is alive");
                }
            })
        })
        .collect();
    let r = rt.run();
    for t in raisers {
        t.join().expect("raiser");
    }
    assert!(r.is_ok(), "the program failed: {r:?}");
    String::from_utf8_lossy(&out.contents())
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_interrupt_of_the_storm_is_handled_exactly_once() {
    // Under both ways of preempting Lua: signalled (the default) and the
    // count hook.
    for preempt in [Preempt::Signal, Preempt::Count] {
        eprintln!("mode {preempt:?}");
        let clean = run(false, preempt);
        assert_eq!(clean, ["checksum 59998", "handled 0 distinct 0 twice 0"]);
        eprintln!("clean done");
        let stormy = run(true, preempt);
        assert_eq!(
            stormy[0], clean[0],
            "{preempt:?}: the storm changed the output"
        );
        let n = THREADS * PER_THREAD;
        assert_eq!(
            stormy[1],
            format!("handled {n} distinct {n} twice 0"),
            "{preempt:?}"
        );
    }
}
