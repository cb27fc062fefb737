-- wrk script: POST /certificate/issue with the contract's body and a fresh
-- (userId, courseId) on every request. The pair is derived from the run's
-- prefix, the thread and a counter, so that `make bench` can pre-seed the
-- rows of the "existing row" path with the same formula in SQL. With
-- BENCH_HOT_COURSE=1 every request is for one course, the prefix itself, as
-- when a cohort or a popular course finishes: every event has the same key.
local prefix = os.getenv("BENCH_PREFIX") or "bench"
local hot_course = os.getenv("BENCH_HOT_COURSE") == "1"
local counter = 0
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "report.lua")

function request()
    counter = counter + 1
    local user_id = string.format("%08x-0000-4000-8000-%012x", thread_id, counter)
    local course_id = hot_course and prefix or string.format("%s-%d-%d", prefix, thread_id, counter)
    local body = '{"userId":"' .. user_id .. '","courseId":"' .. course_id ..
        '","courseName":"Introduction to Programming","firstName":"John","lastName":"Doe",' ..
        '"issuanceDate":"2025-10-13T00:00:00.000Z","expirationDate":"2026-10-13T00:00:00.000Z"}'
    return wrk.format("POST", "/certificate/issue", {["Content-Type"] = "application/json"}, body)
end
