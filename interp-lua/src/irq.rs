//! Interrupts from Lua, and how running Lua gives the run loop its turn.
//!
//! The `polyeval` table (`on_interrupt`, `raise`, `timer`, `sleep`,
//! `without_interrupts`, `pending`; its Lua half is `irq.lua`) and Lua's
//! `warn` (`ffi/warn.rs`), which raises the `warning` kind. Preemption:
//! [`hook_mode`] picks how (see [`HookMode`]), [`start_preemption`] sets
//! the count hook or the armed mode's waker (`ffi/preempt.rs`).

use std::cell::Cell;
use std::rc::Rc;

use mlua::{Function, HookTriggers, Lua, MultiValue, Table, VmState};
use polyeval_core::{Cx, Ident, Interp};

use crate::config::{LuaConfig, Preempt};
use crate::error::LuaFailure;
use crate::frames;
use crate::state::{HookMode, Shared};
use polyeval_core::lend::with_rt;

/// Where the function `irq.lua` returned is kept.
const INTERRUPTS_KEY: &str = "polyeval.interrupts";

thread_local! {
    /// `without_interrupts` sections that ended while no run loop was lent.
    static LOST_ALLOWS: Cell<u32> = const { Cell::new(0) };
}

/// Ends the `without_interrupts` sections whose guards were collected
/// while no run loop was lent.
pub(crate) fn settle_sections(rt: &mut Cx) {
    let n = LOST_ALLOWS.with(|n| n.replace(0));
    for _ in 0..n {
        rt.interrupts().allow();
    }
}

/// Loads `irq.lua`, before the stdlib overrides (see its header).
pub(crate) fn load_lua(lua: &Lua) -> mlua::Result<()> {
    let make: Function = lua
        .load(include_str!("irq.lua"))
        .set_name("=polyeval")
        .call(make_argmsg(lua)?)?;
    lua.set_named_registry_value(INTERRUPTS_KEY, make)
}

/// Sets the globals `polyeval` and `warn` of `lua`'s state (`warnings`:
/// Lua's warnings start on).
pub(crate) fn install(rt: &Cx, lua: &Lua, shared: &Rc<Shared>, warnings: bool) -> mlua::Result<()> {
    let make: Function = lua.named_registry_value(INTERRUPTS_KEY)?;
    let helpers = lua.create_table()?;
    helpers.set(
        "pending",
        lua.create_function(|_, ()| Ok(with_rt(|rt| rt.should_yield()).unwrap_or(false)))?,
    )?;
    helpers.set(
        "defer",
        lua.create_function(|_, ()| {
            with_rt(|rt| rt.interrupts().defer());
            Ok(())
        })?,
    )?;
    helpers.set(
        "allow",
        lua.create_function(|_, ()| {
            if with_rt(|rt| rt.interrupts().allow()).is_none() {
                // A section's guard collected while no loop was lent (a
                // collection the host started): ended at the next step.
                LOST_ALLOWS.with(|n| n.set(n.get() + 1));
            }
            Ok(())
        })?,
    )?;
    helpers.set("raise", make_raise(lua, shared)?)?;
    let interp = crate::convert::to_lua(lua, shared, &rt.interp_value())
        .map_err(|e| mlua::Error::runtime(LuaFailure::Host.message(&e)))?;
    let table: Table = make.call((interp, helpers))?;
    let globals = lua.globals();
    globals.set("polyeval", table)?;
    globals.set("warn", crate::ffi::warn_function(lua, warnings)?)
}

/// `raise(kind, payload)`: queues an interrupt raised by Lua code, with
/// the position of the Lua code that raised it (for warnings' messages).
fn make_raise(lua: &Lua, shared: &Rc<Shared>) -> mlua::Result<Function> {
    let sh = shared.clone();
    lua.create_function(
        move |lua, (kind, payload): (mlua::LuaString, mlua::Value)| {
            let mut frames = Vec::new();
            frames::record_frames(&sh, lua, 1, 1, &mut frames);
            let payload = crate::convert::from_lua(&sh, payload);
            let kind = Ident::from_bytes(&kind.as_bytes());
            with_rt(|rt| {
                rt.interrupts()
                    .raise(kind, payload, frames.into_iter().next())
            });
            Ok(())
        },
    )
}

/// `argmsg(n, expected, fname, [arg])`: Lua's "bad argument" message for
/// the Lua function that called it, named as its caller calls it (as
/// `luaL_argerror` does), with the caller's position.
fn make_argmsg(lua: &Lua) -> mlua::Result<Function> {
    lua.create_function(
        |lua, (n, expected, fname, rest): (i64, String, String, MultiValue)| {
            let got = match rest.front() {
                None => "no value".to_owned(),
                Some(v) => {
                    let named = match v {
                        mlua::Value::Table(t) => t
                            .metatable()
                            .and_then(|m| m.raw_get::<String>("__name").ok()),
                        _ => None,
                    };
                    named.unwrap_or_else(|| match v {
                        mlua::Value::Integer(_) | mlua::Value::Number(_) => "number".to_owned(),
                        other => other.type_name().to_owned(),
                    })
                }
            };
            // Level 1 is irq.lua's `check`, level 2 the library
            // function, level 3 its caller.
            let name = lua
                .inspect_stack(2, |d| d.names().name.map(|n| n.into_owned()))
                .flatten()
                .unwrap_or(fname);
            let at = lua
                .inspect_stack(3, |d| {
                    let src = d.source();
                    match (src.what, d.current_line()) {
                        ("C", _) | (_, None) => String::new(),
                        (_, Some(line)) => {
                            format!("{}:{line}: ", src.short_src.as_deref().unwrap_or("?"))
                        }
                    }
                })
                .unwrap_or_default();
            Ok(format!(
                "{at}bad argument #{n} to '{name}' ({expected} expected, got {got})"
            ))
        },
    )
}

/// How running Lua gives the run loop its turn, for `config` in `rt`.
pub(crate) fn hook_mode(rt: &Cx, config: &LuaConfig) -> HookMode {
    if config.quantum == 0 {
        HookMode::None
    } else if config.always_preempt
        || config.preempt == Preempt::Count
        || rt.exact_step_counting()
        || !cfg!(unix)
    {
        HookMode::Counting
    } else {
        HookMode::Armed
    }
}

/// Sets up what [`Shared::hooks`] says: the count hook, or the armed
/// mode's waker (the count hook where signals are not available).
pub(crate) fn start_preemption(
    rt: &mut Interp,
    lua: &Lua,
    shared: &Shared,
    config: &LuaConfig,
) -> mlua::Result<()> {
    match shared.hooks {
        HookMode::Counting => set_counting_hook(
            lua,
            rt.interrupt_handle(),
            config.quantum,
            config.always_preempt,
        ),
        HookMode::Armed => match crate::ffi::waker(&shared.arm) {
            Some(w) => {
                rt.add_interrupt_waker(w);
                Ok(())
            }
            None => set_counting_hook(lua, rt.interrupt_handle(), config.quantum, false),
        },
        HookMode::None => Ok(()),
    }
}

/// The count hook of [`HookMode::Counting`]: every `q` instructions it
/// counts a step and yields when an interrupt waits or the step limit is
/// reached (every time with `always`).
fn set_counting_hook(
    lua: &Lua,
    irq: polyeval_core::InterruptHandle,
    q: u32,
    always: bool,
) -> mlua::Result<()> {
    lua.set_global_hook(
        HookTriggers::new().every_nth_instruction(q),
        move |lua, _debug| {
            if crate::ffi::in_flight() {
                return Ok(VmState::Continue);
            }
            let needed = with_rt(|rt| {
                rt.add_steps(1);
                rt.should_yield() || rt.steps_left() == 0 || rt.nested().is_stopping()
            })
            .unwrap_or(false)
                || irq.is_pending();
            if needed && with_rt(|rt| rt.interrupts().take_unhandled_sigint()) == Some(true) {
                // As the stand-alone `lua`: `interrupted!` at the next
                // instruction, which `pcall` may catch.
                crate::ffi::interrupt_thread(&lua.current_thread());
                return Ok(VmState::Continue);
            }
            if !needed {
                // The stress mode's yields need no service where they may
                // not yield.
                return Ok(
                    if always && crate::ffi::may_preempt(&lua.current_thread()) {
                        VmState::Yield
                    } else {
                        VmState::Continue
                    },
                );
            }
            if crate::ffi::may_preempt(&lua.current_thread()) {
                return Ok(VmState::Yield);
            }
            // Lua cannot yield here, or a yield would lose Lua's count of
            // the C calls above it (inside a C call): the loop's turn
            // happens in place, and a stop unwinds Lua until it can yield.
            if let Some(Err(_)) = with_rt(|rt| rt.nested().serve_in_place()) {
                crate::ffi::stop_thread(&lua.current_thread());
            }
            Ok(VmState::Continue)
        },
    )
}
