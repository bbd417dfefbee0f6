//! Running a program file end to end: load by extension, compile, run on a
//! fresh run loop, and report errors with the CLI's exit statuses.
//!
//! The CLI and the script tests both call [`execute`], so what the tests
//! check is what users run.

use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use polyeval_core::{
    CallValue, Cx, DefaultAction, ErrorKind, Ident, Interp, Language, ScriptError, Value,
};
use polyeval_lua::LuaConfig;
use polyeval_smop::repl::Repl;
use polyeval_smop::{asm, prelude};

use crate::fsaccess::FileAccess;

/// Exit status: success.
pub const EXIT_OK: i32 = 0;
/// Exit status: a run-time error.
pub const EXIT_RUNTIME: i32 = 1;
/// Exit status: a usage or compile error.
pub const EXIT_USAGE: i32 = 2;

/// How to run a program.
#[derive(Clone, Debug)]
pub struct Options {
    /// The program file; `.m0ld` (and, later, `.lua`) by extension.
    pub file: PathBuf,
    /// Arguments for the program.
    pub args: Vec<String>,
    /// Stop with an error after this many run-loop steps.
    pub max_steps: Option<u64>,
    /// Instructions per step (`u32::MAX` for unbounded).
    pub quantum: u32,
    /// The memory limit of the whole heap, Lua's and the Rust side's, in
    /// bytes (see [`crate::memory`]); `lua.memory_limit` is Lua's own
    /// sub-limit.
    pub memory_limit: Option<usize>,
    /// The Lua state's set-up: standard libraries, memory limit, count
    /// hook interval.
    pub lua: LuaConfig,
    /// Interrupt testing and reporting.
    pub irq: IrqOptions,
    /// Which files `smop.load` and `Lua.require` may read (`--allow-read`);
    /// the main program file is always allowed. The default loads nothing
    /// in sandbox mode and anything in the others.
    pub file_access: FileAccess,
    /// The language, when the command line names it (`--lang`); else by
    /// the file's extension.
    pub lang: Option<Lang>,
    /// Lua code to run before the program, in order, as the stand-alone
    /// `lua` runs `LUA_INIT`, `-e` and `-l`.
    pub lua_steps: Vec<LuaStep>,
    /// Read the program from standard input (`-`, or no script with stdin
    /// not a terminal); `file` is then only its name.
    pub from_stdin: bool,
    /// The command-line words before the program's name (the command and
    /// its options), which Lua's `arg` holds at negative indexes.
    pub arg_prefix: Vec<String>,
    /// Run no program of its own, only `lua_steps` (`polyeval -e stat`).
    pub empty_main: bool,
    /// Run the Lua REPL after the program (`-i`, or no script on a
    /// terminal).
    pub interactive: bool,
}

/// One piece of Lua code the command line runs before the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LuaStep {
    /// A chunk of source with its chunk name (`-e stat`: `=(command line)`).
    Exec {
        /// The source.
        src: String,
        /// The chunk name, as `load` takes it.
        name: String,
    },
    /// `global = require(module)` (`-l mod`, `-l g=mod`).
    Require {
        /// The global to set.
        global: String,
        /// The module to require.
        module: String,
    },
    /// `dofile(path)` (`LUA_INIT=@path`).
    File(String),
}

/// Interrupt-related run options.
#[derive(Clone, Debug, Default)]
pub struct IrqOptions {
    /// Forward OS signals (SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2) into
    /// the run loop.
    pub signals: bool,
    /// Raise a `probe` interrupt every N program steps, and report how many
    /// interrupts were delivered at exit.
    pub every_steps: Option<u64>,
    /// Raise one `probe` interrupt once the program has run each of these
    /// many steps (`verify-interrupts` injects this way).
    pub at_steps: Vec<u64>,
    /// Draw the hand-off diagram after the run.
    pub diagram: Option<DiagramTarget>,
    /// Write the program's step count to this file at exit.
    pub steps_report: Option<PathBuf>,
}

/// Where `--diagram` goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiagramTarget {
    /// Text, on stderr.
    Text,
    /// SVG, to this file.
    Svg(PathBuf),
}

impl std::str::FromStr for DiagramTarget {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "" | "text" => Ok(DiagramTarget::Text),
            _ => match s.strip_prefix("svg:") {
                Some(p) if !p.is_empty() => Ok(DiagramTarget::Svg(PathBuf::from(p))),
                _ => Err(format!("expected `text` or `svg:PATH`, got `{s}`")),
            },
        }
    }
}

impl Options {
    /// Options to run `file` with defaults.
    pub fn new(file: impl Into<PathBuf>) -> Self {
        Options {
            file: file.into(),
            args: Vec::new(),
            max_steps: None,
            quantum: polyeval_core::DEFAULT_QUANTUM,
            memory_limit: None,
            lua: LuaConfig::default(),
            irq: IrqOptions::default(),
            file_access: FileAccess::default(),
            lang: None,
            lua_steps: Vec::new(),
            from_stdin: false,
            arg_prefix: Vec::new(),
            empty_main: false,
            interactive: false,
        }
    }
}

/// The program's stdout as the CLI writes it, as C stdio buffers it under
/// the stand-alone `lua`: line-buffered on a terminal (Rust's `Stdout` is
/// a line writer), block-buffered otherwise; a closed pipe (`polyeval x.lua
/// | head -1`) ends the program quietly with status 141, as SIGPIPE ends
/// `lua`.
pub fn stdout_writer() -> Box<dyn Write> {
    use std::io::IsTerminal;
    let stdout = std::io::stdout();
    if stdout.is_terminal() {
        // C's own stdout, as stock `lua`'s: line-buffered, and flushed by
        // the C library before it reads a terminal.
        #[cfg(target_os = "linux")]
        return Box::new(PipeAware(polyeval_lua::CStdout::new()));
        #[cfg(not(target_os = "linux"))]
        return Box::new(PipeAware(stdout));
    } else {
        Box::new(std::io::BufWriter::new(PipeAware(stdout)))
    }
}

/// A writer that ends the process quietly when its reader went away.
struct PipeAware<W>(W);

impl<W: Write> PipeAware<W> {
    fn check<T>(r: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &r {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                // What SIGPIPE's default action would report: 128 + 13.
                std::process::exit(141);
            }
        }
        r
    }
}

impl<W: Write> Write for PipeAware<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Self::check(self.0.write(buf))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Self::check(self.0.flush())
    }
}

/// A `Write` sink shared with the caller, for capturing output in tests.
#[derive(Clone, Default)]
pub struct SharedBuf(pub Rc<RefCell<Vec<u8>>>);

impl SharedBuf {
    /// The bytes written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.0.borrow().clone()
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The languages the command line runs, in the order their file
/// extensions are tried. Each is registered in every loop [`new_loop`]
/// makes.
pub fn cli_languages() -> Vec<Rc<dyn Language>> {
    let mut langs: Vec<Rc<dyn Language>> = vec![
        Rc::new(polyeval_smop::lang::M0ldLanguage),
        Rc::new(polyeval_lua::LuaLanguage),
    ];
    #[cfg(feature = "scheme")]
    langs.push(Rc::new(polyeval_scheme::Scheme));
    langs
}

/// A program's language. Lua and m0ld have command-line features of their
/// own (Lua's `arg`, `-e`, `-l` and REPL; m0ld's REPL that keeps its
/// registers); any other registered language runs through the generic
/// [`Language`] interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// m0ld source.
    M0ld,
    /// Lua 5.4 source.
    Lua,
    /// Another language of [`cli_languages`], by name.
    Other(&'static str),
}

impl Lang {
    /// The language named `name` (or one of its aliases) among
    /// [`cli_languages`].
    pub fn named(name: &str) -> Option<Lang> {
        cli_languages()
            .into_iter()
            .find(|l| l.name() == name || l.aliases().contains(&name))
            .map(|l| Lang::of_name(l.name()))
    }

    fn of_name(name: &'static str) -> Lang {
        match name {
            "lua" => Lang::Lua,
            "m0ld" => Lang::M0ld,
            other => Lang::Other(other),
        }
    }

    /// The registered name.
    pub fn name(self) -> &'static str {
        match self {
            Lang::M0ld => "m0ld",
            Lang::Lua => "lua",
            Lang::Other(n) => n,
        }
    }

    /// The names `--lang` accepts, for its error message.
    pub fn known() -> String {
        let names: Vec<&str> = cli_languages().iter().map(|l| l.name()).collect();
        names.join(", ")
    }
}

/// Picks the language from the file extension, among [`cli_languages`];
/// a file no language claims is Lua (as the stand-alone `lua` runs any
/// file).
pub fn lang_of(path: &Path) -> Lang {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    cli_languages()
        .into_iter()
        .find(|l| l.extensions().contains(&ext))
        .map_or(Lang::Lua, |l| Lang::of_name(l.name()))
}

/// Lua source as `luaL_loadfile` reads it: a first line starting with `#`
/// (a shebang) is skipped, its newline kept so that line numbers agree.
fn skip_shebang(mut src: Vec<u8>) -> Vec<u8> {
    if src.first() == Some(&b'#') {
        let end = src.iter().position(|&b| b == b'\n').unwrap_or(src.len());
        src.drain(..end);
    }
    src
}

/// A source file's bytes. Lua accepts any bytes (as stock `lua` does);
/// m0ld must be UTF-8, which [`m0ld_text`] checks.
fn read_source(path: &Path, err: &mut dyn Write) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            let _ = writeln!(err, "error: cannot read {}: {e}", path.display());
            None
        }
    }
}

/// m0ld source as text, or a diagnostic naming the first bad byte.
fn m0ld_text(path: &Path, bytes: Vec<u8>, err: &mut dyn Write) -> Option<String> {
    match String::from_utf8(bytes) {
        Ok(s) => Some(s),
        Err(e) => {
            let _ = writeln!(err, "error: {}: not valid UTF-8 ({e})", path.display());
            None
        }
    }
}

/// Compiles a file and returns its diagnostics, for `polyeval check`.
/// Returns the exit status.
pub fn check(path: &Path, err: &mut dyn Write) -> i32 {
    let lang = lang_of(path);
    let Some(src) = read_source(path, err) else {
        return EXIT_USAGE;
    };
    match lang {
        Lang::M0ld => match m0ld_text(path, src, err)
            .map(|src| asm::compile(&src, &path.display().to_string()))
        {
            None => EXIT_USAGE,
            Some(Ok(_)) => EXIT_OK,
            Some(Err(d)) => {
                let _ = err.write_all(d.render().as_bytes());
                EXIT_USAGE
            }
        },
        Lang::Lua | Lang::Other(_) => {
            let file = path.display().to_string();
            let checked = new_loop(
                &Options::new(path),
                Box::new(std::io::sink()),
                Box::new(std::io::sink()),
            )
            .map_err(ScriptError::runtime)
            .and_then(|mut rt| match rt.language(lang.name()) {
                Some(l) => l.check(rt.cx(), &src, &file),
                None => Err(ScriptError::runtime(format!(
                    "{} is not installed",
                    lang.name()
                ))),
            });
            match checked {
                Ok(()) => EXIT_OK,
                Err(e) => {
                    let _ = writeln!(err, "error: {}", e.message);
                    EXIT_USAGE
                }
            }
        }
    }
}

/// Prints the compiled Mold of an m0ld file, for `polyeval disasm`.
/// Returns the exit status.
pub fn disasm(path: &Path, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    if path.extension().and_then(|e| e.to_str()) != Some("m0ld") {
        let _ = writeln!(
            err,
            "error: disasm takes a .m0ld file, got {}",
            path.display()
        );
        return EXIT_USAGE;
    }
    let Some(src) = read_source(path, err).and_then(|b| m0ld_text(path, b, err)) else {
        return EXIT_USAGE;
    };
    match asm::compile(&src, &path.display().to_string()) {
        Ok(m) => {
            let _ = out.write_all(m.disassemble().as_bytes());
            EXIT_OK
        }
        Err(d) => {
            let _ = err.write_all(d.render().as_bytes());
            EXIT_USAGE
        }
    }
}

/// A configured run loop for `opts`, with SMOP, Lua and the bridge
/// installed, output redirected, and the process's memory limit set (see
/// [`crate::memory::install`]).
///
/// # Errors
///
/// A message when the Lua state cannot be set up (a memory limit too
/// small for the standard libraries, say), or when a memory limit is asked
/// for in a program that does not count its heap.
pub fn new_loop(
    opts: &Options,
    out: Box<dyn Write>,
    err: Box<dyn Write>,
) -> Result<Interp, String> {
    let mut rt = Interp::new();
    rt.set_output(out);
    rt.set_errput(err);
    rt.set_quantum(opts.quantum);
    rt.set_max_steps(opts.max_steps);
    // Probes and step reports need Lua's work counted into steps; that is
    // decided when Lua is installed.
    rt.set_exact_step_counting(
        opts.irq.every_steps.is_some()
            || !opts.irq.at_steps.is_empty()
            || opts.irq.steps_report.is_some(),
    );
    prelude::install(&mut rt);
    let args = opts.args.iter().map(Value::str).collect();
    prelude::bind(
        rt.cx(),
        "@ARGS",
        Value::obj(prelude::containers::ArrayObj {
            items: RefCell::new(args),
        }),
    );
    let mut access = opts.file_access.clone();
    // The host loads the main program itself; loading it again is allowed
    // (a file that does not resolve, such as a benchmark's made-up name,
    // is simply not added).
    let _ = access.allow_file(&opts.file);
    crate::lua_bridge::install_with_access(&mut rt, opts.lua.clone(), access)
        .map_err(|e| format!("cannot set up Lua: {}", e.message))?;
    if let Some(lua) = polyeval_lua::LuaRuntime::of(rt.cx_ref()) {
        // As the stand-alone `lua` (lua.c): a generational collector.
        lua.lua()
            .gc_set_mode(mlua::prelude::LuaGcMode::Generational(
                mlua::prelude::LuaGcGenParams::default(),
            ));
    }
    #[cfg(feature = "scheme")]
    polyeval_scheme::install(&mut rt);
    crate::memory::install(&mut rt, opts.memory_limit)?;
    Ok(rt)
}

fn loop_or_report(opts: &Options, out: Box<dyn Write>, mut err: Box<dyn Write>) -> Option<Interp> {
    match new_loop(opts, out, Box::new(std::io::sink())) {
        Ok(mut rt) => {
            rt.set_errput(err);
            Some(rt)
        }
        Err(m) => {
            let _ = writeln!(err, "error: {m}");
            None
        }
    }
}

/// Runs `opts.file` to completion, writing program output to `out` and
/// diagnostics to `err`. Returns the exit status (docs/design.md §7).
pub fn execute(opts: &Options, out: Box<dyn Write>, mut err: Box<dyn Write>) -> i32 {
    let lang = opts.lang.unwrap_or_else(|| lang_of(&opts.file));
    let src = if opts.empty_main {
        Vec::new()
    } else if opts.from_stdin {
        let mut buf = Vec::new();
        if let Err(e) = std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf) {
            let _ = writeln!(err, "error: cannot read the program from stdin: {e}");
            return EXIT_USAGE;
        }
        buf
    } else {
        let Some(src) = read_source(&opts.file, &mut *err) else {
            return EXIT_USAGE;
        };
        src
    };
    let file = opts.file.display().to_string();
    if lang != Lang::Lua && !opts.lua_steps.is_empty() {
        let _ = writeln!(
            err,
            "error: -e, -l and LUA_INIT run Lua code; {file} is an {} program",
            lang.name()
        );
        return EXIT_USAGE;
    }
    match lang {
        Lang::Other(name) => {
            let Some(mut rt) = loop_or_report(opts, out, err) else {
                return EXIT_USAGE;
            };
            match start_generic(&mut rt, name, opts, &src, &file) {
                Ok(()) => finish(&mut rt, &opts.irq),
                Err(e) => {
                    let _ = writeln!(rt.err(), "error: {}", e.message);
                    if e.kind == ErrorKind::Compile {
                        EXIT_USAGE
                    } else {
                        EXIT_RUNTIME
                    }
                }
            }
        }
        Lang::M0ld => {
            let Some(src) = m0ld_text(&opts.file, src, &mut *err) else {
                return EXIT_USAGE;
            };
            let mold = match asm::compile(&src, &file) {
                Ok(m) => m,
                Err(d) => {
                    let _ = err.write_all(d.render().as_bytes());
                    return EXIT_USAGE;
                }
            };
            let Some(mut rt) = loop_or_report(opts, out, err) else {
                return EXIT_USAGE;
            };
            if opts.interactive {
                // The REPL is the root; the script, if any, runs as its
                // first line, so its registers are the session's.
                let repl = Repl::new(rt.cx(), crate::repl::line_reader(), "stdin");
                let first = (!opts.empty_main).then(|| repl.first_frame(rt.cx(), mold));
                rt.start(Box::new(repl));
                if let Some(first) = first {
                    if let Err(e) = rt.call_into(Box::new(first)) {
                        let _ = writeln!(rt.err(), "error: {e}");
                        return EXIT_RUNTIME;
                    }
                }
                // Ctrl-C ends the running line, not the session.
                rt.set_default_action(Ident::SIGINT, DefaultAction::Raise);
            } else {
                let frame = prelude::top_frame(rt.cx(), mold);
                rt.start(Box::new(frame));
            }
            finish(&mut rt, &opts.irq)
        }
        Lang::Lua => {
            let Some(mut rt) = loop_or_report(opts, out, err) else {
                return EXIT_USAGE;
            };
            let Some(lua) = polyeval_lua::LuaRuntime::of(rt.cx_ref()) else {
                return EXIT_USAGE;
            };
            let main = match lua.load(&skip_shebang(src), &file) {
                Ok(f) => f,
                Err(e) => {
                    let _ = writeln!(rt.err(), "error: {}", e.message);
                    return EXIT_USAGE;
                }
            };
            let main = if opts.interactive {
                match crate::repl::function(lua.lua()).and_then(|repl| {
                    lua.lua()
                        .load(THEN_REPL_SRC)
                        .set_name("=polyeval")
                        .call::<mlua::Function>((main, repl))
                }) {
                    Ok(f) => f,
                    Err(e) => {
                        let _ = writeln!(rt.err(), "error: {e}");
                        return EXIT_RUNTIME;
                    }
                }
            } else {
                main
            };
            let main = if opts.lua_steps.is_empty() {
                main
            } else {
                match with_steps(&lua, &opts.lua_steps, main) {
                    Ok(f) => f,
                    Err(e) => {
                        let _ = writeln!(rt.err(), "error: {}", e.message);
                        return EXIT_RUNTIME;
                    }
                }
            };
            let args: Vec<Value> = opts.args.iter().map(Value::str).collect();
            if let Err(e) = set_arg_table(&lua, &file, &args, &opts.arg_prefix) {
                let _ = writeln!(rt.err(), "error: {}", e.message);
                return EXIT_RUNTIME;
            }
            if let Err(e) = polyeval_lua::start_main(&mut rt, &lua, main, &args) {
                let _ = writeln!(rt.err(), "error: {}", e.message);
                return EXIT_RUNTIME;
            }
            finish(&mut rt, &opts.irq)
        }
    }
}

/// Starts a program of a language with no command-line features of its
/// own: its [`Language::load`]ed function called with the arguments, or
/// its REPL hook (after the script, with `-i`).
fn start_generic(
    rt: &mut Interp,
    name: &str,
    opts: &Options,
    src: &[u8],
    file: &str,
) -> Result<(), ScriptError> {
    let lang = rt
        .language(name)
        .ok_or_else(|| ScriptError::runtime(format!("{name} is not installed")))?;
    let main = if opts.empty_main {
        None
    } else {
        Some(lang.load(rt.cx(), src, file)?)
    };
    let args: Vec<Value> = opts.args.iter().map(Value::str).collect();
    if opts.interactive {
        let repl = lang
            .repl(rt.cx(), crate::repl::line_reader())?
            .ok_or_else(|| ScriptError::runtime(format!("{name} has no REPL")))?;
        rt.start(repl);
        if let Some(f) = main {
            rt.call_into(Box::new(CallValue::new(f, args)))
                .map_err(|e| ScriptError::runtime(e.to_string()))?;
        }
        rt.set_default_action(Ident::SIGINT, DefaultAction::Raise);
    } else {
        let f = main.unwrap_or_default();
        rt.start(Box::new(CallValue::new(f, args)));
    }
    Ok(())
}

/// Lua's `arg` table, as the stand-alone `lua` builds it: the script name
/// at 0, its arguments from 1, and the words before it (the command and
/// its options) at negative indexes.
fn set_arg_table(
    lua: &polyeval_lua::LuaRuntime,
    file: &str,
    args: &[Value],
    prefix: &[String],
) -> Result<(), polyeval_core::ScriptError> {
    let fail = |e: mlua::Error| polyeval_lua::lua_error(&e);
    let t = lua.lua().create_table().map_err(fail)?;
    let n = i64::try_from(prefix.len()).unwrap_or(i64::MAX);
    for (i, w) in (0..).zip(prefix) {
        t.raw_set(i - n, w.as_str()).map_err(fail)?;
    }
    t.raw_set(0, file).map_err(fail)?;
    for (i, a) in args.iter().enumerate() {
        t.raw_set(i + 1, lua.to_lua(a)?).map_err(fail)?;
    }
    lua.lua().globals().set("arg", t).map_err(fail)
}

/// The program's main function preceded by the command line's Lua steps
/// (`-e`, `-l`, `LUA_INIT`), run in order on the program's own thread (so
/// calls into SMOP from them are hand-offs like any other). An error in a
/// step ends the program as the stand-alone `lua` ends it.
fn with_steps(
    lua: &polyeval_lua::LuaRuntime,
    steps: &[LuaStep],
    main: mlua::Function,
) -> Result<mlua::Function, polyeval_core::ScriptError> {
    let fail = |e: mlua::Error| polyeval_lua::lua_error(&e);
    let l = lua.lua();
    let list = l.create_table().map_err(fail)?;
    for (i, step) in steps.iter().enumerate() {
        let s = l.create_table().map_err(fail)?;
        let (kind, a, b) = match step {
            LuaStep::Exec { src, name } => ("e", src.as_str(), name.as_str()),
            LuaStep::Require { global, module } => ("l", global.as_str(), module.as_str()),
            LuaStep::File(path) => ("f", path.as_str(), ""),
        };
        s.raw_set(1, kind).map_err(fail)?;
        s.raw_set(2, a).map_err(fail)?;
        s.raw_set(3, b).map_err(fail)?;
        list.raw_set(i + 1, s).map_err(fail)?;
    }
    l.load(STEPS_SRC)
        .set_name("=polyeval")
        .call::<mlua::Function>((list, main))
        .map_err(fail)
}

/// The script, then the REPL (`-i`).
const THEN_REPL_SRC: &str = r#"
local main, repl = ...
return function(...)
  main(...)
  return repl()
end
"#;

/// The driver of [`with_steps`]: `load`, `require` and `dofile` as the
/// program starts (user code cannot have replaced them yet).
const STEPS_SRC: &str = r#"
local steps, main = ...
local load, require, dofile, error, G = load, require, dofile, error, _G
return function(...)
  for i = 1, #steps do
    local kind, a, b = steps[i][1], steps[i][2], steps[i][3]
    if kind == "e" then
      local f, err = load(a, b)
      if not f then error(err, 0) end
      f()
    elseif kind == "l" then
      G[a] = require(b)
    else
      dofile(a)
    end
  end
  return main(...)
end
"#;

fn finish(rt: &mut Interp, irq: &IrqOptions) -> i32 {
    let _signals = if irq.signals {
        match polyeval_core::signals::SignalForwarder::start(rt.interrupt_handle()) {
            Ok(f) => Some(f),
            Err(e) => {
                let _ = writeln!(rt.err(), "warning: OS signals are not forwarded: {e}");
                None
            }
        }
    } else {
        None
    };
    if irq.every_steps.is_some() || !irq.at_steps.is_empty() {
        rt.schedule_probes(irq.every_steps, &irq.at_steps);
    }
    rt.set_recording(irq.diagram.is_some());
    let reports = irq.clone();
    rt.on_exit(Box::new(move |rt, _status| end_reports(rt, &reports)));
    let status = match rt.run() {
        Ok(_) => EXIT_OK,
        Err(e) => {
            let report = e.report();
            let _ = rt.err().write_all(report.as_bytes());
            let _ = rt.err().flush();
            e.exit_status()
        }
    };
    rt.run_exit_hooks(status);
    status
}

/// What `run` prints or writes when the program ends (also through Lua's
/// `os.exit`): the diagram, the delivered-interrupt count, the step count.
fn end_reports(rt: &mut Cx, irq: &IrqOptions) {
    if let Some(target) = &irq.diagram {
        let segments = rt.take_record();
        match target {
            DiagramTarget::Text => {
                let text = crate::diagram::render_text(&segments);
                let _ = rt.err().write_all(text.as_bytes());
            }
            DiagramTarget::Svg(path) => {
                let svg = crate::diagram::render_svg(&segments);
                if let Err(e) = std::fs::write(path, svg) {
                    let _ = writeln!(rt.err(), "error: cannot write {}: {e}", path.display());
                }
            }
        }
    }
    if irq.every_steps.is_some() {
        let n = rt.interrupts().delivered();
        let _ = writeln!(rt.err(), "interrupts delivered: {n}");
    }
    if let Some(path) = &irq.steps_report {
        let steps = rt.steps();
        if let Err(e) = std::fs::write(path, format!("{steps}\n")) {
            let _ = writeln!(rt.err(), "error: cannot write {}: {e}", path.display());
        }
    }
    let _ = rt.err().flush();
}
