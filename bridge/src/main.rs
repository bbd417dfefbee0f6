//! The `polyeval` command: see `polyeval --help`.
#![forbid(unsafe_code)]

fn main() {
    let code = polyeval_bridge::cli::main_with_args(std::env::args_os());
    std::process::exit(code);
}
