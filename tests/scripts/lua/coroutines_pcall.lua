-- Coroutines with pcall/xpcall and to-be-closed variables: yields across
-- pcall, errors after resume, <close> on finish/close/error, 3-deep nesting.
-- expect-stdout:
-- | (true, in pcall, arg)
-- | (true, again, 40)
-- | (true, pcall gave, true, 42)
-- | (true, end)
-- | waiting
-- | (false, coroutines_pcall.lua:76: rejected bad)
-- | still alive
-- | 1
-- | (false, handled[coroutines_pcall.lua:91: attempt to index a nil value (local 't')] main=false)
-- | deep	middle false T	outer false T
-- | (true, inside block)
-- |   close b	nil
-- | (true, after block)
-- |   close c	nil
-- |   close a	nil
-- | (true, finished)
-- |   close y	nil
-- |   close x	nil
-- | close ->	(true)
-- | before error
-- |   close p	oops
-- | (false, oops)
-- | (false, died)
-- | now closing
-- |   close pending	died
-- | (false, died)
-- |   close wrapped	wrap died
-- | (false, wrap died)
-- | body
-- | yield in __close
-- |   close got	V
-- | after block
-- | C sees	normal	normal	running
-- | C resumes A:	(false, cannot resume non-suspended coroutine)
-- | B got	(true, C1)
-- | A got	(true, B1)
-- | main got	(true, A1)
-- | suspended	suspended	suspended
-- | C got	main+A+B
-- | B got	(true, C done)	dead
-- | A got	(true, B done)
-- | main got	(true, A done)
-- | dead	dead	dead
-- | done

local function norm(m) return (tostring(m):gsub("[^%s:<>'\"]*[/\\]([%w_]+%.lua)", "%1")) end
local function show(...)
  local t, out = table.pack(...), {}
  for i = 1, t.n do out[i] = type(t[i]) == "table" and "table" or norm(t[i]) end
  return "(" .. table.concat(out, ", ") .. ")"
end

-- yield across pcall: the pcall stays active while the coroutine is suspended
local co = coroutine.create(function()
  local r = table.pack(pcall(function(a)
    local x = coroutine.yield("in pcall", a)
    local y = coroutine.yield("again", x)
    return x + y
  end, "arg"))
  coroutine.yield("pcall gave", table.unpack(r, 1, r.n))
  return "end"
end)
print(show(coroutine.resume(co)))
print(show(coroutine.resume(co, 40)))
print(show(coroutine.resume(co, 2)))
print(show(coroutine.resume(co)))
assert(coroutine.status(co) == "dead")

-- an error raised after a resume is caught by the pcall inside the coroutine
co = coroutine.wrap(function()
  local ok, err = pcall(function()
    local v = coroutine.yield("waiting")
    if v == "bad" then error("rejected " .. v) end
    return v
  end)
  coroutine.yield(show(ok, err))
  return "still alive"
end)
print(co())
print(co("bad"))
print(co())

-- xpcall across yields: the handler runs inside the coroutine, before unwinding
co = coroutine.wrap(function()
  return xpcall(function()
    coroutine.yield(1)
    local t = nil
    return t.field
  end, function(m)
    local _, main = coroutine.running()
    return "handled[" .. norm(m) .. "] main=" .. tostring(main)
  end)
end)
print(co())
print(show(co()))

-- nested pcalls with yields in between, error passed through a rethrow
co = coroutine.wrap(function()
  local ok1, e1 = pcall(function()
    local ok2, e2 = pcall(function()
      coroutine.yield("deep")
      error({tag = "T"})
    end)
    coroutine.yield("middle " .. tostring(ok2) .. " " .. e2.tag)
    error(e2)
  end)
  return "outer " .. tostring(ok1) .. " " .. e1.tag
end)
print(co(), co(), co())

-- to-be-closed variables: closed in reverse order when the coroutine finishes
local function closer(name)
  return setmetatable({}, {__close = function(_, err) print("  close " .. name, norm(err)) end})
end
co = coroutine.create(function()
  local a <close> = closer("a")
  do
    local b <close> = closer("b")
    coroutine.yield("inside block")
  end
  coroutine.yield("after block")
  local c <close> = closer("c")
  return "finished"
end)
for _ = 1, 3 do print(show(coroutine.resume(co))) end

-- ... when the coroutine is closed while suspended (error argument is nil)
co = coroutine.create(function()
  local a <close> = closer("x")
  local b <close> = closer("y")
  coroutine.yield()
end)
coroutine.resume(co)
print("close ->", show(coroutine.close(co)))

-- ... an error inside pcall closes the variables of the aborted block first
co = coroutine.wrap(function()
  local ok, err = pcall(function()
    local v <close> = closer("p")
    coroutine.yield("before error")
    error("oops", 0)
  end)
  return show(ok, err)
end)
print(co())
print(co())

-- ... a coroutine that dies by error does not unwind until closed
co = coroutine.create(function()
  local v <close> = closer("pending")
  error("died", 0)
end)
print(show(coroutine.resume(co)))
print("now closing")
print(show(coroutine.close(co)))
-- ... but wrap closes them before re-raising
local w = coroutine.wrap(function()
  local v <close> = closer("wrapped")
  error("wrap died", 0)
end)
print(show(pcall(w)))

-- a __close metamethod may itself yield
co = coroutine.wrap(function()
  do
    local x <close> = setmetatable({}, {__close = function()
      print("  close got", coroutine.yield("yield in __close"))
    end})
    coroutine.yield("body")
  end
  return "after block"
end)
print(co())
print(co())
print(co("V"))

-- nested coroutines three deep; "normal" observed from inside
local A, B, C
C = coroutine.create(function()
  print("C sees", coroutine.status(A), coroutine.status(B), coroutine.status(C))
  print("C resumes A:", show(coroutine.resume(A)))
  local v = coroutine.yield("C1")
  print("C got", v)
  return "C done"
end)
B = coroutine.create(function()
  local r1 = table.pack(coroutine.resume(C))
  print("B got", show(table.unpack(r1, 1, r1.n)))
  local v = coroutine.yield("B1")
  local r2 = table.pack(coroutine.resume(C, v .. "+B"))
  print("B got", show(table.unpack(r2, 1, r2.n)), coroutine.status(C))
  return "B done"
end)
A = coroutine.create(function()
  print("A got", show(coroutine.resume(B)))
  local v = coroutine.yield("A1")
  print("A got", show(coroutine.resume(B, v .. "+A")))
  return "A done"
end)
print("main got", show(coroutine.resume(A)))
print(coroutine.status(A), coroutine.status(B), coroutine.status(C))
print("main got", show(coroutine.resume(A, "main")))
print(coroutine.status(A), coroutine.status(B), coroutine.status(C))
assert(coroutine.status(A) == "dead" and coroutine.status(C) == "dead")
print("done")
