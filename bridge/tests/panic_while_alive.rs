//! A panic in the embedder's code while a runtime with Lua is alive
//! unwinds normally: dropping the runtime during the unwinding (which runs
//! Lua's finalizers, under the loop's panic guard) neither aborts the
//! process nor loses the panic. This file holds one test, so that the
//! runtime made here is the first thing in the process to use the guard.

use polyeval_bridge::Runtime;

#[test]
fn a_panic_while_a_fresh_runtime_is_alive_unwinds_without_aborting() {
    let caught = std::panic::catch_unwind(|| {
        let _rt = Runtime::new().expect("a runtime");
        panic!("the embedder's own panic");
    });
    let payload = caught.expect_err("the panic reaches catch_unwind");
    let msg = payload.downcast_ref::<&str>().copied().unwrap_or_default();
    assert_eq!(msg, "the embedder's own panic");
}
