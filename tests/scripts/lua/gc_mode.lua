-- The collector runs in generational mode, as under the stand-alone
-- `lua` (lua.c switches to it). Expected output from stock `lua` 5.4.8.
-- expect-stdout:
-- | generational	incremental
-- | true	number
print(collectgarbage("incremental"), collectgarbage("generational"))
print(collectgarbage("isrunning"), type(collectgarbage("count")))
