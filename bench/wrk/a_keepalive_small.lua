-- a: keep-alive GET /small (~100 bytes)
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "common.lua")
wrk.method = "GET"
wrk.path = "/small"
