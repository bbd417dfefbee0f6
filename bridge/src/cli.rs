//! The `polyeval` command line: argument parsing with clap, tracing set-up,
//! and dispatch to [`crate::run`].

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use polyeval_lua::{LuaConfig, Preempt, Stdlib, DEFAULT_LUA_QUANTUM};

use crate::fsaccess::FileAccess;
use crate::run::{self, DiagramTarget, IrqOptions, Options};

/// polyeval: one run loop driving SMOP (m0ld) and Lua 5.4.
#[derive(Parser, Debug)]
#[command(
    name = "polyeval",
    version,
    about = "polyeval: one run loop driving Lua 5.4, SMOP (m0ld) and any other registered \
             language, which call each other without nesting on the native stack",
    override_usage = "polyeval [options] [script [args]]   (as the stand-alone lua)\n       \
                      polyeval <COMMAND> ...",
    after_help = crate::luacli::USAGE
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run a program in the language its extension names (`.m0ld`, `.scm`,
    /// ...), any other file as Lua, or as --lang says.
    Run {
        /// Print tracing events (goto, setr, hand-offs, interrupts) on stderr;
        /// `POLYEVAL_LOG=trace` adds a span per run-loop step.
        #[arg(long)]
        trace: bool,
        /// The program's language (a registered name: lua, m0ld, scheme),
        /// whatever its name says; by default the file's extension decides,
        /// and a file with no registered extension is Lua.
        #[arg(long, value_name = "LANG", value_parser = parse_lang)]
        lang: Option<run::Lang>,
        /// Stop with an error after N run-loop steps.
        #[arg(long, value_name = "N")]
        max_steps: Option<u64>,
        /// Instructions a continuation runs per step: a number, or `unbounded`.
        #[arg(long, value_name = "N", value_parser = parse_quantum, default_value = "1000")]
        quantum: u32,
        /// Lua standard libraries: safe (all but debug), all, or sandbox (no
        /// io, os, package, require, dofile, loadfile, debug; text-only
        /// load; no file loads unless --allow-read).
        #[arg(long, value_name = "MODE", default_value = "safe")]
        lua_stdlib: Stdlib,
        /// Let smop.load and Lua.require read code files under DIR
        /// (repeatable; symlinks and `..` resolved), and only there, in
        /// every --lua-stdlib mode. Without it, sandbox mode loads no file
        /// and the other modes any.
        #[arg(long, value_name = "DIR")]
        allow_read: Vec<PathBuf>,
        /// Memory limit of the whole heap (Lua's and the Rust side's), in
        /// bytes; a request past it is an error in the interpreter that
        /// made it ("not enough memory" in Lua, "out of memory" in m0ld),
        /// which scripts can catch.
        #[arg(long, value_name = "BYTES")]
        memory_limit: Option<usize>,
        /// Memory limit of the Lua heap alone, in bytes (a sub-limit under
        /// --memory-limit); exceeding it is a Lua error scripts can catch.
        #[arg(long, value_name = "BYTES")]
        lua_memory_limit: Option<usize>,
        /// Lua VM instructions between two checks of the count hook, which
        /// yields to the run loop only when an interrupt or the step budget
        /// needs it; 0 sets no hook (faster; pure Lua code is then never
        /// preempted).
        #[arg(long, value_name = "N", default_value_t = DEFAULT_LUA_QUANTUM, value_parser = clap::value_parser!(u32))]
        lua_quantum: u32,
        /// How pure Lua code is preempted when an interrupt comes from
        /// another thread: `signal` (default: no hook while nothing is
        /// pending; the loop's thread is signalled) or `count` (a count
        /// hook every --lua-quantum instructions: lower latency, slower Lua).
        #[arg(long, value_name = "MODE", default_value = "signal")]
        lua_preempt: Preempt,
        /// Testing: make Lua yield to the run loop at every count-hook check.
        #[arg(long, hide = true)]
        lua_always_preempt: bool,
        /// Raise a `probe` interrupt every N run-loop steps of the program,
        /// deterministically; its handler (the program's, or a built-in one
        /// that does nothing) runs as a detour. Prints `interrupts
        /// delivered: K` on stderr at exit.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        interrupt_every_steps: Option<u64>,
        /// Testing: raise one `probe` interrupt after step K (repeatable).
        #[arg(long, value_name = "K", hide = true)]
        interrupt_at_step: Vec<u64>,
        /// Testing: write the program's step count to FILE at exit.
        #[arg(long, value_name = "FILE", hide = true)]
        steps_report: Option<PathBuf>,
        /// After the run, draw the hand-offs and detours: `--diagram` (text,
        /// on stderr) or `--diagram=svg:PATH`.
        #[arg(long, value_name = "FORMAT", num_args = 0..=1, require_equals = true,
              default_missing_value = "text")]
        diagram: Option<DiagramTarget>,
        /// Do not forward OS signals (SIGINT, SIGTERM, SIGHUP, SIGUSR1,
        /// SIGUSR2) to the program's interrupt handlers.
        #[arg(long)]
        no_signals: bool,
        /// The program.
        file: PathBuf,
        /// Arguments passed to the program (`@ARGS` in m0ld, `arg` and `...`
        /// in Lua).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Prove that interrupts are transparent to a program: run it once
    /// cleanly, then once per injection point with one `probe` interrupt
    /// after that step, and compare stdout, stderr and the exit status.
    VerifyInterrupts {
        /// How many injection points at most (every step when the program
        /// runs no more steps than this).
        #[arg(long, value_name = "K", default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
        samples: u64,
        /// Seed for the random injection points of long programs.
        #[arg(long, value_name = "S", default_value_t = 1)]
        seed: u64,
        /// Child runs at once (default: the number of CPUs).
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        /// The program.
        file: PathBuf,
        /// Arguments passed to the program.
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

fn parse_lang(s: &str) -> Result<run::Lang, String> {
    run::Lang::named(s).ok_or_else(|| format!("expected one of {}, got `{s}`", run::Lang::known()))
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
    let args: Vec<OsString> = args.into_iter().collect();
    // `polyeval script.lua ...`, `lua`'s options and no words at all (the
    // REPL on a terminal, else the script from stdin): the stand-alone
    // `lua`'s command line; a subcommand or `--help`/`--version`: clap's.
    let first = args.get(1).map(|a| a.to_string_lossy().into_owned());
    let lua_style = match first.as_deref() {
        None => true,
        Some(
            "run" | "check" | "disasm" | "verify-interrupts" | "help" | "--help" | "-h"
            | "--version" | "-V",
        ) => false,
        Some(_) => true,
    };
    if lua_style {
        return crate::luacli::main(args);
    }
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
            lang,
            max_steps,
            quantum,
            lua_stdlib,
            allow_read,
            memory_limit,
            lua_memory_limit,
            lua_quantum,
            lua_always_preempt,
            lua_preempt,
            interrupt_every_steps,
            interrupt_at_step,
            steps_report,
            diagram,
            no_signals,
            file,
            args,
        } => {
            let mut file_access = FileAccess::default();
            for dir in &allow_read {
                if let Err(e) = file_access.allow_dir(dir) {
                    eprintln!("error: --allow-read: {e}");
                    return run::EXIT_USAGE;
                }
            }
            let opts = Options {
                file: file.clone(),
                args,
                max_steps,
                quantum,
                memory_limit,
                lua: LuaConfig {
                    stdlib: lua_stdlib,
                    memory_limit: lua_memory_limit,
                    quantum: lua_quantum,
                    always_preempt: lua_always_preempt,
                    preempt: lua_preempt,
                    warnings: false,
                },
                irq: IrqOptions {
                    signals: !no_signals,
                    every_steps: interrupt_every_steps,
                    at_steps: interrupt_at_step,
                    diagram,
                    steps_report,
                },
                file_access,
                lang,
                ..Options::new(file)
            };
            let exec = || {
                run::execute(
                    &opts,
                    crate::run::stdout_writer(),
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
        Cmd::VerifyInterrupts {
            samples,
            seed,
            jobs,
            file,
            args,
        } => crate::verify::verify(
            &crate::verify::VerifyOptions {
                file,
                args,
                samples,
                seed,
                jobs,
            },
            &mut std::io::stdout(),
            &mut std::io::stderr(),
        ),
        Cmd::Check { file } => run::check(&file, &mut std::io::stderr()),
        Cmd::Disasm { file } => run::disasm(&file, &mut std::io::stdout(), &mut std::io::stderr()),
    }
}
