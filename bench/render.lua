-- wrk script: POST /certificate/render-PDF (or BENCH_RENDER_PATH) for one
-- credential, again and again: the cached path. Reports as every script of
-- the bench does (report.lua).
local path = os.getenv("BENCH_RENDER_PATH") or "/certificate/render-PDF"
local body = '{"credentialId":"' .. (os.getenv("BENCH_CREDENTIAL_ID") or "") .. '"}'
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "report.lua")

function request()
    return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end
