//! The `polyeval` command line: argument parsing with clap, tracing set-up,
//! and dispatch to [`crate::run`].

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use polyeval_lua::{LuaConfig, Stdlib, DEFAULT_LUA_QUANTUM};

use crate::run::{self, Options};

/// polyeval: one run loop driving SMOP (m0ld) and Lua 5.4.
#[derive(Parser, Debug)]
#[command(name = "polyeval", version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run a program (.m0ld or .lua), chosen by extension.
    Run {
        /// Print tracing events (goto, setr, hand-offs, interrupts) on stderr;
        /// `POLYEVAL_LOG=trace` adds a span per run-loop step.
        #[arg(long)]
        trace: bool,
        /// Stop with an error after N run-loop steps.
        #[arg(long, value_name = "N")]
        max_steps: Option<u64>,
        /// Instructions a continuation runs per step: a number, or `unbounded`.
        #[arg(long, value_name = "N", value_parser = parse_quantum, default_value = "1000")]
        quantum: u32,
        /// Lua standard libraries: safe (all but debug), all, or sandbox (no
        /// io, os, package, require, dofile, loadfile, debug; text-only load).
        #[arg(long, value_name = "MODE", default_value = "safe")]
        lua_stdlib: Stdlib,
        /// Memory limit of the Lua state, in bytes; exceeding it is a Lua
        /// error scripts can catch.
        #[arg(long, value_name = "BYTES")]
        lua_memory_limit: Option<usize>,
        /// Lua VM instructions between two checks of the count hook, which
        /// yields to the run loop only when an interrupt or the step budget
        /// needs it; 0 sets no hook (faster; pure Lua code is then never
        /// preempted).
        #[arg(long, value_name = "N", default_value_t = DEFAULT_LUA_QUANTUM, value_parser = clap::value_parser!(u32))]
        lua_quantum: u32,
        /// Testing: make Lua yield to the run loop at every count-hook check.
        #[arg(long, hide = true)]
        lua_always_preempt: bool,
        /// The program.
        file: PathBuf,
        /// Arguments passed to the program (`@ARGS` in m0ld, `arg` and `...`
        /// in Lua).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Compile or parse only, and print diagnostics.
    Check {
        /// The program.
        file: PathBuf,
    },
    /// Print the compiled Mold of an m0ld file.
    Disasm {
        /// The m0ld file.
        file: PathBuf,
    },
}

fn parse_quantum(s: &str) -> Result<u32, String> {
    if s == "unbounded" {
        return Ok(u32::MAX);
    }
    match s.parse::<u32>() {
        Ok(0) | Err(_) => Err(format!(
            "expected a positive number or `unbounded`, got `{s}`"
        )),
        Ok(n) => Ok(n),
    }
}

/// Parses `args` (including the program name) and runs the command.
/// Returns the process exit status.
pub fn main_with_args(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                run::EXIT_USAGE
            } else {
                run::EXIT_OK
            };
        }
    };
    match cli.cmd {
        Cmd::Run {
            trace,
            max_steps,
            quantum,
            lua_stdlib,
            lua_memory_limit,
            lua_quantum,
            lua_always_preempt,
            file,
            args,
        } => {
            let opts = Options {
                file,
                args,
                max_steps,
                quantum,
                lua: LuaConfig {
                    stdlib: lua_stdlib,
                    memory_limit: lua_memory_limit,
                    quantum: lua_quantum,
                    always_preempt: lua_always_preempt,
                },
            };
            let exec = || {
                run::execute(
                    &opts,
                    Box::new(std::io::BufWriter::new(std::io::stdout())),
                    Box::new(std::io::stderr()),
                )
            };
            if trace {
                // `POLYEVAL_LOG` refines the filter (e.g. `trace` adds a span
                // per step); the default shows the debug-level events.
                let filter = tracing_subscriber::EnvFilter::try_from_env("POLYEVAL_LOG")
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("debug"));
                let subscriber = tracing_subscriber::fmt()
                    .with_writer(std::io::stderr)
                    .with_env_filter(filter)
                    .with_target(false)
                    .without_time()
                    .with_ansi(false)
                    .finish();
                tracing::subscriber::with_default(subscriber, exec)
            } else {
                exec()
            }
        }
        Cmd::Check { file } => run::check(&file, &mut std::io::stderr()),
        Cmd::Disasm { file } => run::disasm(&file, &mut std::io::stdout(), &mut std::io::stderr()),
    }
}
