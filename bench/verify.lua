-- wrk script: GET /certificate/{id}/verify over the ids in BENCH_IDS_FILE
-- (one a line, issued before the run), each request another; with
-- BENCH_ACCEPT_HTML=1 as a browser asks (the verification page), else as an
-- API client (the JSON).
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS_FILE")) do
    ids[#ids + 1] = line
end
local headers = os.getenv("BENCH_ACCEPT_HTML") == "1"
    and {["Accept"] = "text/html,application/xhtml+xml,*/*;q=0.8", ["Accept-Language"] = "en"}
    or {["Accept"] = "application/json"}
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "report.lua")
local next_id = 0

function request()
    next_id = next_id % #ids + 1
    return wrk.format("GET", "/certificate/" .. ids[next_id] .. "/verify", headers)
end

function response(status, headers, body)
    if status ~= 200 then
        non_2xx = non_2xx + 1
    end
end
