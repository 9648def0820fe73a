-- wrk script for every scenario. The harness (bench/wrk_runner.py) prepends
-- a table BENCH = { method = ..., headers = {...}, paths = {...},
-- bodies = {...} | nil, <extra string fields> } with one entry per key; each
-- request picks a key at random. A scenario's own script (issue_revoke.lua)
-- may follow and replace request(). done() prints one JSON line the harness
-- parses, with the sum of the threads' `revoked` counters.

local reqs = {}
local threads = {}
revoked = 0  -- per thread; a scenario script counts into it

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + (tonumber(tostring(reqs):match("0x(%x+)") or "0", 16) % 100000))
  for i, path in ipairs(BENCH.paths) do
    local body = nil
    if BENCH.bodies then body = BENCH.bodies[i] end
    reqs[i] = wrk.format(BENCH.method, path, BENCH.headers, body)
  end
end

function request()
  return reqs[math.random(#reqs)]
end

function done(summary, latency, requests)
  local e = summary.errors
  local total_revoked = 0
  for _, t in ipairs(threads) do
    total_revoked = total_revoked + (tonumber(t:get("revoked")) or 0)
  end
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d,' ..
    '"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,"revoked":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean, total_revoked))
end
