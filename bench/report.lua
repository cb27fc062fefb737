-- What every wrk script of the bench reports: it counts non-2xx answers per
-- thread and prints one BENCH_JSON line that bench/run.py reads. A script
-- loads it with dofile() beside itself and registers its threads in setup().
threads = {}

function setup(thread)
    thread:set("thread_id", #threads + 1)
    table.insert(threads, thread)
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
