-- c: keep-alive GET /100k (102400-byte body)
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "common.lua")
wrk.method = "GET"
wrk.path = "/100k"
