-- wrk script: GET /status/{BENCH_LIST_ID}, the status list a credential
-- names, as verifiers fetch it; with BENCH_ETAG, conditionally
-- (If-None-Match), as a verifier that kept it does. A 304 counts as
-- answered, like a 200.
local path = "/status/" .. (os.getenv("BENCH_LIST_ID") or "1-revocation")
local etag = os.getenv("BENCH_ETAG")
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "report.lua")

function request()
    local headers = etag and {["If-None-Match"] = etag} or {}
    return wrk.format("GET", path, headers)
end

function response(status, headers, body)
    if status ~= 200 and status ~= 304 then
        non_2xx = non_2xx + 1
    end
end
