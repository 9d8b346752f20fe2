-- d: keep-alive POST /upload with a 1 MiB body (wrk adds Content-Length)
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "common.lua")
wrk.method = "POST"
wrk.path = "/upload"
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.body = string.rep("u", 1048576)
