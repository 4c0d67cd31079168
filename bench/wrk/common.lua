-- Shared by the bench's wrk scripts: unique values per request, and a JSON summary at the end.
-- Each wrk thread runs its own copy of the script; `setup` numbers the threads.

local threads = {}
local counter = 0
thread_id = 0  -- set per thread by setup() through thread:set
local run_tag = os.getenv("BENCH_RUN_TAG") or tostring(os.time())

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

-- A value no other request of this run (or of an earlier run) carries.
function unique()
  counter = counter + 1
  return string.format("%s-%d-%d", run_tag, thread_id, counter)
end

-- A UUID-shaped id that is unique per request: run tag, thread and counter in hex.
function unique_uuid()
  counter = counter + 1
  local tag = tonumber(run_tag) or 0
  return string.format("%08x-%04x-4000-8000-%012x", tag % 0x7fffffff, thread_id % 0x10000, counter)
end

function urlencode(value)
  return (string.gsub(value, "([^%w%-%._~])", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

-- The summary bench.loadtest reads: one JSON line after the marker.
function done(summary, latency, requests)
  local parts = {}
  for _, p in ipairs({50, 75, 90, 95, 99}) do
    table.insert(parts, string.format('"p%d": %.3f', p, latency:percentile(p) / 1000))
  end
  local errors = summary.errors
  io.write("BENCH-JSON ")
  io.write(string.format(
    '{"requests": %d, "duration_s": %.3f, "latency_ms": {%s, "mean": %.3f, "max": %.3f}, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, summary.duration / 1e6, table.concat(parts, ", "),
    latency.mean / 1000, latency.max / 1000,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
