-- wrk script: POST /certificate/issue with the contract's body and a fresh
-- (userId, courseId) on every request. The pair is derived from the run's
-- prefix, the thread and a counter, so that `make bench` can pre-seed the
-- rows of the "existing row" path with the same formula in SQL. With
-- BENCH_HOT_COURSE=1 every request is for one course, the prefix itself, as
-- when a cohort or a popular course finishes: every event has the same key.
local prefix = os.getenv("BENCH_PREFIX") or "bench"
local hot_course = os.getenv("BENCH_HOT_COURSE") == "1"
local threads = {}
local counter = 0


function setup(thread)
    thread:set("thread_id", #threads + 1)
    table.insert(threads, thread)
end

function request()
    counter = counter + 1
    local user_id = string.format("%08x-0000-4000-8000-%012x", thread_id, counter)
    local course_id = hot_course and prefix or string.format("%s-%d-%d", prefix, thread_id, counter)
    local body = '{"userId":"' .. user_id .. '","courseId":"' .. course_id ..
        '","courseName":"Introduction to Programming","firstName":"John","lastName":"Doe",' ..
        '"issuanceDate":"2025-10-13T00:00:00.000Z","expirationDate":"2026-10-13T00:00:00.000Z"}'
    return wrk.format("POST", "/certificate/issue", {["Content-Type"] = "application/json"}, body)
end

non_2xx = 0
function response(status, headers, body)
    if status < 200 or status > 299 then
        non_2xx = non_2xx + 1
    end
end

function done(summary, latency, requests)
    local non2xx = 0
    for _, thread in ipairs(threads) do
        non2xx = non2xx + (thread:get("non_2xx") or 0)
    end
    local errors = summary.errors
    io.write(string.format(
        'BENCH_JSON {"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, ' ..
        '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
        summary.requests, summary.duration, non2xx,
        errors.connect + errors.read + errors.write + errors.timeout,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
