-- polyeval's Lua-side runtime, loaded once per Lua state as chunk "=polyeval".
--
-- It receives a table of Rust helpers and private markers and returns the
-- pieces the Rust side drives: the replacement coroutine library, the
-- output, text-only loaders and interrupt helpers. (A pooled driver thread
-- runs the called function itself, resumed with raw lua_resume: see
-- ffi/resume.rs.)
--
-- Protocol between a pooled thread and the Rust driver (a thread yields
-- these to the run loop's Lua continuation):
--   (returned)      the function's results; (failed) the error value
--   PENDING         a call went to another continuation; resume me with
--                   its result, or with ERR, err to raise err here
--   (nothing)       a hook preempted me (or `deliver` below gave the loop
--                   its turn); resume me with nothing
-- The coroutine library is C (ffi/coro.rs): every user coroutine is a
-- continuation of its own, so none of these passes through another
-- coroutine.
local R = ...
-- Set by `init` once the Rust side exists.
local argmsg

-- Raises Lua's own "bad argument" error for the function two levels up.
local function check(ok, n, expected, fname, ...)
  if not ok then
    error(argmsg(n, expected, fname, ...), 0)
  end
end

local co = coroutine
local nyield, nisyieldable = co.yield, co.isyieldable
local error, select, type, setmetatable = error, select, type, setmetatable

-- The `polyeval` table (interrupts, docs/design.md §6); `warn` is C (ffi/warn.rs). `interp` is the
-- run loop's `$interpreter` object; `H` holds Rust helpers: `pending()`,
-- `defer()`, `allow()` and `raise(kind, payload)` (which records where the
-- Lua caller stands).
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

-- The searchers of `require` for every mode but `--lua-stdlib all` (where
-- `load`, `loadfile` and `dofile` are text-only C functions, ffi/loadlib.rs):
-- Lua has no bytecode verifier, so a crafted binary chunk can crash the
-- process. `nloadfile` is Lua's own `loadfile`.
local function textonly(nloadfile, package)
  local sub, format, nsearchpath = string.sub, string.format, package and package.searchpath
  -- The searchers: the Lua one loads text only; the C searchers' places,
  -- where C modules cannot load, look along `package.cpath` as stock ones
  -- do (so that a module that is not found gets stock Lua's message) and
  -- refuse a C module that is there.
  local searcher, csearcher, croot
  if nsearchpath then
    local find = string.find
    -- `package[field]`, as stock `findfile` reads it.
    local function pathof(field)
      local path = package[field]
      if type(path) == "number" then
        path = tostring(path)
      elseif type(path) ~= "string" then
        error("'package." .. field .. "' must be a string", 0)
      end
      return path
    end
    searcher = function(name)
      local filename, err = nsearchpath(name, pathof("path"))
      if not filename then
        return err
      end
      local f, e = nloadfile(filename, "t")
      if not f then
        error(format("error loading module '%s' from file '%s':\n\t%s", name, filename, e), 0)
      end
      return f, filename
    end
    local function refuse(name, filename)
      error(format("error loading module '%s' from file '%s':\n\tC modules are disabled (polyeval runs only Lua text outside --lua-stdlib all)", name, filename), 0)
    end
    csearcher = function(name)
      local filename, err = nsearchpath(name, pathof("cpath"))
      if not filename then
        return err
      end
      refuse(name, filename)
    end
    croot = function(name)
      local p = find(name, ".", 1, true)
      if not p then
        return nil
      end
      local filename, err = nsearchpath(sub(name, 1, p - 1), pathof("cpath"))
      if not filename then
        return err
      end
      refuse(name, filename)
    end
  end
  return searcher, csearcher, croot
end

return {
  interrupts = interrupts,
  textonly = textonly,
  init = function(a)
    argmsg = a
  end,
}
