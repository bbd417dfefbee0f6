//! The `polyeval` command: see `polyeval --help`.
#![forbid(unsafe_code)]

/// Counts the heap, for `--memory-limit` (its own limit stays off: the
/// budget refuses requests before the allocator sees them).
#[global_allocator]
static ALLOC: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, usize::MAX);

fn main() {
    polyeval_core::memory::set_usage_source(|| ALLOC.allocated());
    let code = polyeval_bridge::cli::main_with_args(std::env::args_os());
    std::process::exit(code);
}
