//! Backtrace frames of Lua code, named as Lua's tracebacks name them:
//! where the running thread stands ([`record_frames`]), where a suspended
//! thread stands ([`thread_frames`], read only when a backtrace asks, with
//! the private `debug.getinfo`), and where a failed driver thread failed
//! ([`dead_frames`], read from its own stack). C functions and polyeval's
//! own Lua code (chunk `polyeval`) leave no frame.

use std::rc::Rc;

use mlua::{Lua, Table, Thread};
use polyeval_core::FrameInfo;

use crate::state::{Driver, Shared};

/// Where failed driver thread `t` failed, innermost first, read from
/// its own stack.
pub(crate) fn dead_frames(sh: &Shared, t: &Driver) -> Vec<FrameInfo> {
    let max = polyeval_core::Backtrace::KEEP;
    let mut out = Vec::new();
    for d in crate::ffi::resume::dead_frames(t, 200, |_| true) {
        if out.len() >= max {
            break;
        }
        out.extend(frame(
            sh,
            &d.what,
            &d.short_src,
            d.line,
            d.name.as_deref(),
            d.line_defined,
        ));
    }
    out
}

/// A backtrace frame for a Lua stack level, named as Lua's tracebacks
/// name frames; `None` for C functions and polyeval's own Lua code.
fn frame(
    sh: &Shared,
    what: &str,
    short_src: &str,
    line: i64,
    name: Option<&str>,
    line_defined: i64,
) -> Option<FrameInfo> {
    if what == "C" || short_src == "polyeval" {
        return None;
    }
    let fname = match (name, what) {
        (Some(n), _) => format!("function '{n}'"),
        (None, "main") => "main chunk".to_owned(),
        (None, _) => format!("function <{short_src}:{line_defined}>"),
    };
    Some(FrameInfo {
        interp: "lua",
        file: sh.file(short_src),
        line: u32::try_from(line.max(0)).unwrap_or(u32::MAX),
        col: 0,
        name: Some(Rc::from(fname)),
    })
}

/// Records where Lua code stands now (the current thread, innermost
/// first, at most `max` Lua frames), from stack level `from`.
pub(crate) fn record_frames(
    sh: &Shared,
    lua: &Lua,
    from: usize,
    max: usize,
    out: &mut Vec<FrameInfo>,
) {
    let mut level = from;
    while out.len() < max {
        let Some(fr) = lua.inspect_stack(level, |d| {
            let src = d.source();
            frame(
                sh,
                src.what,
                src.short_src.as_deref().unwrap_or("?"),
                d.current_line()
                    .map_or(0, |l| i64::try_from(l).unwrap_or(0)),
                d.names().name.as_deref(),
                src.line_defined
                    .map_or(0, |l| i64::try_from(l).unwrap_or(0)),
            )
        }) else {
            break;
        };
        level += 1;
        out.extend(fr);
    }
}

/// Appends where suspended `thread` stands, innermost first, at most
/// `max` Lua frames (read with the private `debug.getinfo`).
pub(crate) fn thread_frames(sh: &Shared, thread: &Thread, max: usize, out: &mut Vec<FrameInfo>) {
    let mut n = 0;
    for level in 0..200 {
        if n >= max {
            break;
        }
        let Ok(Some(info)) = sh
            .getinfo
            .call::<Option<Table>>((thread.clone(), level, "Sln"))
        else {
            break;
        };
        let what: String = info.get("what").unwrap_or_default();
        let src: String = info.get("short_src").unwrap_or_default();
        let line: i64 = info.get("currentline").unwrap_or(0);
        let name: Option<String> = info.get("name").unwrap_or(None);
        let defined: i64 = info.get("linedefined").unwrap_or(0);
        if let Some(f) = frame(sh, &what, &src, line, name.as_deref(), defined) {
            out.push(f);
            n += 1;
        }
    }
}
