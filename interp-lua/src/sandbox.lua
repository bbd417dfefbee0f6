-- The text-only searchers of `require`, loaded once per Lua state as
-- chunk "=polyeval" by sandbox.rs. The chunk returns `textonly`.

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

return textonly
