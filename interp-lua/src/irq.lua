-- The Lua half of the `polyeval` table (interrupts, docs/design.md §6);
-- `warn` is C (ffi/warn.rs). irq.rs loads it once per Lua state as chunk
-- "=polyeval", passing Lua's "bad argument" message maker (`argmsg`),
-- and calls the `interrupts` it returns once the run loop's
-- `$interpreter` object can cross into Lua.
--
-- It is loaded before the coroutine library is replaced, and keeps the
-- stock `coroutine.yield`: `deliver` gives the loop its turn with a plain
-- yield of no values, which the driver reads as a preemption (see
-- driver/mod.rs). Where Lua cannot yield (inside a C call), delivery
-- waits for the next safe point instead.
--
-- Argument checks raise Lua's own "bad argument" errors, named as the
-- caller calls the function (as `luaL_argerror` names it): `argmsg`
-- reads the names and positions from the stack, counting from `check`,
-- so `check` must call it directly.
--
-- `argmsg(n, expected, fname, [arg])`: the message, with its position.
-- The helpers `interrupts` gets are irq.rs's (`install`); the table it
-- answers becomes the global `polyeval`.
local argmsg = ...

-- Raises Lua's own "bad argument" error for the function two levels up.
local function check(ok, n, expected, fname, ...)
  if not ok then
    error(argmsg(n, expected, fname, ...), 0)
  end
end

local co = coroutine
local nyield, nisyieldable = co.yield, co.isyieldable
local error, select, type, setmetatable = error, select, type, setmetatable

-- The `polyeval` table. `interp` is the run loop's `$interpreter` object;
-- `H` holds Rust helpers: `pending()`, `defer()`, `allow()` and
-- `raise(kind, payload)` (which records where the Lua caller stands).
-- Its functions check their arguments with `check`, as stock ones do.
local function interrupts(interp, H)
  local pending, defer, allow, raise = H.pending, H.defer, H.allow, H.raise
  local pcall = pcall
  local P = {}

  -- Gives the run loop its turn now when something waits (a handler then
  -- runs as a detour and control comes back here); where Lua cannot yield,
  -- delivery waits for the next safe point.
  local function deliver()
    if pending() and nisyieldable() then
      nyield()
    end
  end

  function P.on_interrupt(...)
    local kind, fn = ...
    check(type(kind) == "string", 1, "string", "polyeval.on_interrupt", ...)
    check(fn == nil or type(fn) == "function" or type(fn) == "userdata"
      or type(fn) == "table", 2, "function or nil", "polyeval.on_interrupt", ...)
    return interp:on_interrupt(kind, fn)
  end

  function P.raise(...)
    local kind, payload = ...
    check(type(kind) == "string", 1, "string", "polyeval.raise", ...)
    raise(kind, payload)
    deliver()
  end

  function P.timer(...)
    local seconds, kind, payload, every = ...
    check(type(seconds) == "number", 1, "number", "polyeval.timer", ...)
    check(type(kind) == "string", 2, "string", "polyeval.timer", ...)
    check(every == nil or type(every) == "number", 4, "number", "polyeval.timer", ...)
    return interp:timer(seconds, kind, payload, every)
  end

  function P.sleep(...)
    local seconds = ...
    check(type(seconds) == "number", 1, "number", "polyeval.sleep", ...)
    interp:sleep(seconds)
  end

  -- A section's guard: a to-be-closed variable of the function that
  -- opened it, so the section ends however that function's coroutine
  -- ends: returning or failing (the pcall below), closed with
  -- `coroutine.close` (`__close`), or abandoned and collected (`__gc`).
  local GUARD = {}
  local function guard_end(g)
    if not g.done then
      g.done = true
      allow()
    end
  end
  GUARD.__close = guard_end
  GUARD.__gc = guard_end
  GUARD.__metatable = false

  local function section_end(guard, ok, ...)
    guard_end(guard)
    deliver()
    if not ok then
      error((...), 0)
    end
    return ...
  end

  function P.without_interrupts(...)
    local f = ...
    check(type(f) == "function", 1, "function", "polyeval.without_interrupts", ...)
    local guard <close> = setmetatable({ done = false }, GUARD)
    defer()
    return section_end(guard, pcall(...))
  end

  P.pending = pending

  return P
end

return interrupts
