-- b: GET /small with "Connection: close" on every request (a new connection per request)
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "common.lua")
wrk.method = "GET"
wrk.path = "/small"
wrk.headers["Connection"] = "close"
