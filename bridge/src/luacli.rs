//! The command line as the stand-alone `lua` reads it: `polyeval
//! [options] [script [args]]`, with `-e stat`, `-l mod` (and `-l g=mod`),
//! `-v`, `-E`, `-W`, `--`, `-` (the script from stdin), plus polyeval's
//! `--lang lua|m0ld`; in `lua`'s order of execution (`LUA_INIT`, then `-e`
//! and `-l` in order, then the script) and with its `arg` numbering
//! (`arg[0]` the script, negative indexes for the command and options).
//! Subcommands (`polyeval run ...`) are `cli.rs`'s.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;

use crate::run::{Lang, LuaStep, Options};

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub struct LuaArgs {
    /// `-e` and `-l`, in order.
    pub steps: Vec<LuaStep>,
    /// `-v`: print the version.
    pub version: bool,
    /// `-i`: the REPL after the script.
    pub interactive: bool,
    /// `-E`: ignore `LUA_INIT`.
    pub ignore_env: bool,
    /// `-W`: Lua's warnings start on.
    pub warnings: bool,
    /// `--lang`.
    pub lang: Option<Lang>,
    /// The index of the script in the words (`None`: no script); the
    /// word `-` is the script read from stdin.
    pub script: Option<usize>,
}

/// A usage error, as `lua` words it.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    /// An option `lua` does not know.
    #[error("unrecognized option '{0}'")]
    Unknown(String),
    /// `-e`, `-l` or `--lang` without its argument.
    #[error("'{0}' needs argument")]
    NeedsArgument(String),
    /// `--lang` with a name no language of the command line has.
    #[error("--lang takes one of {known}, got '{0}'", known = crate::run::Lang::known())]
    BadLang(String),
}

/// The usage text `lua` prints after a usage error.
pub const USAGE: &str = "usage: polyeval [options] [script [args]]
Available options are:
  -e stat   execute string 'stat'
  -l mod    require library 'mod' into global 'mod'
  -l g=mod  require library 'mod' into global 'g'
  -v        show version information
  -E        ignore environment variables
  -W        turn warnings on
  --lang L  run the script as L (lua, m0ld, scheme) whatever its name
  --        stop handling options
  -         stop handling options and execute stdin
Subcommands: polyeval run|check|disasm|verify-interrupts ... (polyeval help)
";

/// `-l`'s argument: `g=mod`, or `mod` whose global drops a `-suffix`.
fn library(arg: &str) -> LuaStep {
    match arg.split_once('=') {
        Some((g, m)) => LuaStep::Require {
            global: g.to_owned(),
            module: m.to_owned(),
        },
        None => LuaStep::Require {
            global: arg.split('-').next().unwrap_or(arg).to_owned(),
            module: arg.to_owned(),
        },
    }
}

/// Reads `words` (the command's name first) as `lua`'s `collectargs` does.
///
/// # Errors
///
/// A [`UsageError`] for an unknown option or a missing argument.
pub fn parse(words: &[String]) -> Result<LuaArgs, UsageError> {
    let mut a = LuaArgs {
        steps: Vec::new(),
        version: false,
        interactive: false,
        ignore_env: false,
        warnings: false,
        lang: None,
        script: None,
    };
    let mut i = 1;
    while i < words.len() {
        let w = words[i].as_str();
        if !w.starts_with('-') || w == "-" {
            a.script = Some(i);
            return Ok(a);
        }
        match w {
            "--" => {
                a.script = (i + 1 < words.len()).then_some(i + 1);
                return Ok(a);
            }
            "-E" => a.ignore_env = true,
            "-W" => a.warnings = true,
            "-v" => a.version = true,
            // As in `lua`, `-i` implies `-v`.
            "-i" => {
                a.interactive = true;
                a.version = true;
            }
            "--lang" => {
                i += 1;
                let l = words
                    .get(i)
                    .ok_or_else(|| UsageError::NeedsArgument(w.to_owned()))?;
                a.lang = Some(Lang::named(l).ok_or_else(|| UsageError::BadLang(l.to_owned()))?);
            }
            _ if w.starts_with("-e") || w.starts_with("-l") => {
                let flag = &w[..2];
                let arg = if w.len() > 2 {
                    w[2..].to_owned()
                } else {
                    i += 1;
                    match words.get(i) {
                        Some(x) if !x.starts_with('-') => x.clone(),
                        _ => return Err(UsageError::NeedsArgument(flag.to_owned())),
                    }
                };
                a.steps.push(if flag == "-e" {
                    LuaStep::Exec {
                        src: arg,
                        name: "=(command line)".to_owned(),
                    }
                } else {
                    library(&arg)
                });
            }
            other => return Err(UsageError::Unknown(other.to_owned())),
        }
        i += 1;
    }
    Ok(a)
}

/// `LUA_INIT_5_4`, else `LUA_INIT`, as a step: `@file` runs the file,
/// anything else is a chunk named `=LUA_INIT`.
fn init_step() -> Option<LuaStep> {
    let (name, v) = ["LUA_INIT_5_4", "LUA_INIT"]
        .iter()
        .find_map(|n| std::env::var(n).ok().map(|v| (*n, v)))?;
    Some(match v.strip_prefix('@') {
        Some(path) => LuaStep::File(path.to_owned()),
        None => LuaStep::Exec {
            src: v,
            name: format!("={name}"),
        },
    })
}

/// The version line `-v` prints: the languages of the command line.
pub fn version() -> String {
    let others: Vec<String> = crate::run::cli_languages()
        .iter()
        .map(|l| l.name())
        .filter(|n| !matches!(*n, "lua" | "m0ld"))
        .map(|n| {
            let mut c = n.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        })
        .collect();
    let more = if others.is_empty() {
        String::new()
    } else {
        format!(", {}", others.join(", "))
    };
    format!(
        "polyeval {}: Lua 5.4 (mlua, vendored), SMOP/m0ld{more} on one run loop",
        env!("CARGO_PKG_VERSION")
    )
}

/// Runs the command line `words` the way `lua` would. Returns the exit
/// status.
pub fn main(words: Vec<OsString>) -> i32 {
    let words: Vec<String> = words
        .into_iter()
        .map(|w| w.to_string_lossy().into_owned())
        .collect();
    let a = match parse(&words) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("polyeval: {e}\n{USAGE}");
            return crate::run::EXIT_USAGE;
        }
    };
    if a.version {
        println!("{}", version());
    }
    let mut steps = Vec::new();
    if !a.ignore_env {
        steps.extend(init_step());
    }
    steps.extend(a.steps);
    let (mut opts, prefix_end) = match a.script {
        Some(i) if words[i] == "-" => {
            let mut o = Options::new("stdin");
            o.from_stdin = true;
            (o, i)
        }
        Some(i) => (Options::new(PathBuf::from(&words[i])), i),
        None if !steps.is_empty() || a.version => {
            if steps.is_empty() && !a.interactive {
                return crate::run::EXIT_OK;
            }
            // No script: only the steps run; `arg` holds every word, the
            // command at 0.
            let mut o = Options::new(&words[0]);
            o.lang = Some(Lang::Lua);
            o.empty_main = true;
            (o, 0)
        }
        None if std::io::stdin().is_terminal() => {
            // No script on a terminal: the REPL, as `lua` starts it.
            println!("{}", version());
            let mut o = Options::new(&words[0]);
            o.lang = Some(Lang::Lua);
            o.empty_main = true;
            o.interactive = true;
            (o, 0)
        }
        None => {
            let mut o = Options::new("stdin");
            o.from_stdin = true;
            (o, words.len())
        }
    };
    opts.args = words.get(prefix_end + 1..).unwrap_or_default().to_vec();
    opts.arg_prefix = words[..prefix_end.min(words.len())].to_vec();
    if !opts.empty_main || a.lang.is_some() {
        opts.lang = a.lang.or(opts.lang);
    }
    opts.lua_steps = steps;
    opts.interactive |= a.interactive;
    opts.lua.warnings |= a.warnings;
    // OS signals reach the program as under `polyeval run`: a first SIGINT
    // is `interrupted!` where Lua stands, as in `lua`.
    opts.irq.signals = true;
    crate::run::execute(
        &opts,
        crate::run::stdout_writer(),
        Box::new(std::io::stderr()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn options_are_read_as_lua_reads_them() {
        let a = parse(&words("polyeval -e x=1 -lfoo -l g=bar -v s.lua -e y")).expect("parse");
        assert_eq!(
            a.script,
            Some(7),
            "options after the script are its arguments"
        );
        assert!(a.version);
        assert_eq!(a.steps.len(), 3);
        assert_eq!(
            a.steps[1],
            LuaStep::Require {
                global: "foo".into(),
                module: "foo".into()
            }
        );
        assert_eq!(
            a.steps[2],
            LuaStep::Require {
                global: "g".into(),
                module: "bar".into()
            }
        );
        assert_eq!(
            library("a-b"),
            LuaStep::Require {
                global: "a".into(),
                module: "a-b".into()
            }
        );
        assert_eq!(
            parse(&words("polyeval -- -x")).expect("parse").script,
            Some(2)
        );
        assert_eq!(parse(&words("polyeval -")).expect("parse").script, Some(1));
        assert_eq!(parse(&words("polyeval --")).expect("parse").script, None);
        assert_eq!(
            parse(&words("polyeval -x")),
            Err(UsageError::Unknown("-x".into()))
        );
        assert_eq!(
            parse(&words("polyeval -e")),
            Err(UsageError::NeedsArgument("-e".into()))
        );
        assert_eq!(
            parse(&words("polyeval --lang m0ld f")).expect("parse").lang,
            Some(Lang::M0ld)
        );
    }
}
