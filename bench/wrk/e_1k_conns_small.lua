-- e: keep-alive GET /small over 1,000 connections (same request as a)
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(here .. "common.lua")
wrk.method = "GET"
wrk.path = "/small"
