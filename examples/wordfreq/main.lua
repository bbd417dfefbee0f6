-- Word frequencies: Lua reads and splits the text and prints the report;
-- the counting is m0ld code (count.m0ld), which calls back into Lua to
-- normalize each word and to hand over each count. Every call between the
-- two goes through polyeval's run loop; none nests on the native stack.
--
--   polyeval run examples/wordfreq/main.lua [FILE] [TOP]
local dir = arg[0]:match("^(.*)/") or "."
local path = arg[1] or (dir .. "/text.txt")
local top = tonumber(arg[2]) or 10

local f = assert(io.open(path, "rb"))
local text = f:read("a")
f:close()

local words = {}
for w in text:gmatch("[%a']+") do words[#words + 1] = w end

-- Words too common to be interesting.
local stop = {}
for w in ("a an and are as at be by for from has in is it its of on one or that the this to was were with which"):gmatch("%a+") do
  stop[w] = true
end

local function normalize(word)
  local w = word:lower():gsub("^'+", ""):gsub("'+$", "")
  if #w < 2 or stop[w] then return "" end
  return w
end

local counts = {}
local function emit(word, n) counts[#counts + 1] = { word = word, n = n } end

local count = smop.load(dir .. "/count.m0ld")     -- Lua -> m0ld
local distinct = count(words, normalize, emit)     -- m0ld -> Lua, many times

table.sort(counts, function(a, b)
  if a.n ~= b.n then return a.n > b.n end
  return a.word < b.word
end)
print(string.format("%d words, %d distinct after normalizing; top %d:", #words, distinct, top))
for i = 1, math.min(top, #counts) do
  print(string.format("%6d  %s", counts[i].n, counts[i].word))
end
