//! The Lua REPL of `polyeval -i` (and of `polyeval` with no script on a
//! terminal), as stock `lua.c`'s `doREPL`: prompts from `_PROMPT` and
//! `_PROMPT2`, a line tried first as `return LINE;`, more lines read while
//! a chunk is incomplete, `=expr` as `return expr`, results printed with
//! the global `print`, errors on stderr with `luaL_traceback`'s traceback
//! (as `lua.c`'s message handler gives it, `debug` loaded or not), and a
//! newline at the end of input.
//!
//! The loop itself is Lua code running on the program's own driver thread,
//! so each line's calls into SMOP are hand-offs through the run loop like
//! any other, and a first SIGINT while a line runs is the `interrupted!`
//! error that ends that line only. Lines come from `rustyline` on a
//! terminal (history, line editing; Ctrl-C at the prompt drops the line)
//! and from plain reads of stdin otherwise ([`Lines`], which also feeds
//! the m0ld REPL of `polyeval_smop::repl`).

use std::cell::RefCell;
use std::io::{BufRead, IsTerminal, Write};
use std::rc::Rc;

use mlua::{Function, Lua, Value as LuaValue};
use polyeval_core::Cx;

/// Where REPL lines come from: `rustyline` on a terminal (history, line
/// editing; Ctrl-C at the prompt drops the line), plain reads of stdin
/// otherwise. Both REPLs, Lua's and m0ld's, read through it.
pub(crate) struct Lines {
    terminal: bool,
    editor: Option<rustyline::DefaultEditor>,
}

impl Lines {
    pub(crate) fn new() -> Self {
        Lines {
            terminal: std::io::stdin().is_terminal(),
            editor: None,
        }
    }

    /// One line after `prompt`, without its newline; `None` at the end of
    /// input. Output the program wrote so far shows before the prompt.
    pub(crate) fn read(&mut self, rt: &mut Cx, prompt: &str) -> Option<Vec<u8>> {
        let _ = rt.out().flush();
        if self.terminal {
            if self.editor.is_none() {
                self.editor = rustyline::DefaultEditor::new().ok();
            }
            if let Some(ed) = self.editor.as_mut() {
                loop {
                    match ed.readline(prompt) {
                        Ok(line) => return Some(line.into_bytes()),
                        Err(rustyline::error::ReadlineError::Interrupted) => continue,
                        Err(_) => return None,
                    }
                }
            }
        }
        self.read_plain(Some(rt), prompt)
    }

    /// A line from stdin as it is, the prompt written to the loop's output
    /// (or to stdout, without a loop).
    pub(crate) fn read_plain(&mut self, rt: Option<&mut Cx>, prompt: &str) -> Option<Vec<u8>> {
        match rt {
            Some(rt) => {
                let _ = rt.out().write_all(prompt.as_bytes());
                let _ = rt.out().flush();
            }
            None => {
                let _ = std::io::stdout().write_all(prompt.as_bytes());
                let _ = std::io::stdout().flush();
            }
        }
        let mut line = Vec::new();
        match std::io::stdin().lock().read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                if line.last() == Some(&b'\n') {
                    line.pop();
                }
                Some(line)
            }
        }
    }

    /// Adds a non-empty chunk to the editor's history.
    pub(crate) fn add_history(&mut self, line: &str) {
        if let Some(ed) = self.editor.as_mut() {
            if !line.is_empty() {
                let _ = ed.add_history_entry(line);
            }
        }
    }
}

/// The m0ld REPL's line reader: [`Lines`], each line added to the history.
pub(crate) fn line_reader() -> polyeval_core::LineReader {
    let mut lines = Lines::new();
    Box::new(move |rt, prompt| {
        let line = String::from_utf8_lossy(&lines.read(rt, prompt)?).into_owned();
        lines.add_history(&line);
        Some(line)
    })
}

/// The REPL as a Lua function of no arguments, for the program to run
/// after its script.
///
/// # Errors
///
/// An mlua error when Lua cannot build the functions (out of memory).
pub(crate) fn function(lua: &Lua) -> mlua::Result<Function> {
    let reader = Rc::new(RefCell::new(Lines::new()));
    let r = reader.clone();
    let readline = lua.create_function(move |lua, prompt: mlua::LuaString| {
        let prompt = prompt.to_string_lossy();
        let line = polyeval_core::lend::with_rt(|rt| r.borrow_mut().read(rt, &prompt))
            .unwrap_or_else(|| r.borrow_mut().read_plain(None, &prompt));
        match line {
            Some(l) => Ok(LuaValue::String(lua.create_string(&l)?)),
            None => Ok(LuaValue::Nil),
        }
    })?;
    let add_history = lua.create_function(move |_, line: mlua::LuaString| {
        reader.borrow_mut().add_history(&line.to_string_lossy());
        Ok(())
    })?;
    // `report(msg)` writes `msg` and a newline on stderr; `report(msg,
    // true)` on stdout (the newline at the end of input).
    let report = lua.create_function(|_, (msg, out): (mlua::LuaString, bool)| {
        let mut text = msg.as_bytes().to_vec();
        text.push(b'\n');
        let written = polyeval_core::lend::with_rt(|rt| {
            if out {
                let _ = rt.out().write_all(&text);
                rt.out().flush()
            } else {
                let _ = rt.out().flush();
                rt.err().write_all(&text)
            }
        });
        if written.is_none() {
            let _ = std::io::stderr().write_all(&text);
        }
        Ok(())
    })?;
    // `luaL_traceback`, as lua.c's message handler has it whether or not
    // scripts see the `debug` library.
    let traceback = polyeval_lua::traceback_function(lua)?;
    lua.load(REPL_SRC)
        .set_name("=polyeval")
        .call((readline, add_history, report, traceback))
}

/// `doREPL` of `lua.c`, in Lua. The helpers are captured before user code
/// runs; `print`, `_PROMPT` and `_PROMPT2` are read from the globals at
/// each use, as `lua.c` reads them.
const REPL_SRC: &str = r#"
local readline, add_history, report, traceback = ...
local load, pcall, xpcall, select, type, tostring, getmetatable, rawget =
  load, pcall, xpcall, select, type, tostring, getmetatable, rawget
local sub, find, format = string.sub, string.find, string.format
local pack, unpack = table.pack, table.unpack
local G = _G

local function msghandler(msg)
  if type(msg) == "number" then
    msg = tostring(msg)
  elseif type(msg) ~= "string" then
    local mt = getmetatable(msg)
    if type(mt) == "table" and rawget(mt, "__tostring") ~= nil then
      local ok, s = pcall(tostring, msg)
      if ok and type(s) == "string" then return s end
    end
    msg = format("(error object is a %s value)", type(msg))
  end
  -- The frames below the chunk are this REPL's (its xpcall): they stand
  -- for lua.c's `docall`, a C function, as stock tracebacks show it.
  local tb = traceback(msg, 2)
  local cut = find(tb, "\n\t[C]: in function 'xpcall'\n\tpolyeval:", 1, true)
  if cut then tb = sub(tb, 1, cut - 1) .. "\n\t[C]: in ?" end
  return tb
end

local function prompt(first)
  local p = rawget(G, first and "_PROMPT" or "_PROMPT2")
  if p == nil then return first and "> " or ">> " end
  return tostring(p)
end

local function incomplete(err)
  return type(err) == "string" and sub(err, -5) == "<eof>"
end

-- One chunk: nil, nil at the end of input.
local function loadline()
  local line = readline(prompt(true))
  if line == nil then return nil, nil end
  if sub(line, 1, 1) == "=" then line = "return " .. sub(line, 2) end
  local f = load("return " .. line .. ";", "=stdin")
  if f then
    if #line > 0 then add_history(line) end
    return f
  end
  while true do
    local g, err = load(line, "=stdin")
    if g or not incomplete(err) then
      if #line > 0 then add_history(line) end
      return g, err
    end
    local more = readline(prompt(false))
    if more == nil then
      if #line > 0 then add_history(line) end
      return g, err
    end
    line = line .. "\n" .. more
  end
end

return function()
  while true do
    local f, err = loadline()
    if f == nil and err == nil then break end
    if f then
      local r = pack(xpcall(f, msghandler))
      if r[1] then
        if r.n > 1 then
          local ok, e = pcall(G.print, unpack(r, 2, r.n))
          if not ok then
            report(format("error calling 'print' (%s)", tostring(e)))
          end
        end
      else
        local m = r[2]
        if type(m) ~= "string" and type(m) ~= "number" then
          m = format("(error object is a %s value)", type(m))
        end
        report(tostring(m))
      end
    else
      report(tostring(err))
    end
  end
  report("", true)
end
"#;
