-- POST django-helpdesk's public form (/tickets/submit/) as an anonymous customer would: the CSRF
-- cookie and token fetched once by hdbench's submit_load (BENCH_CSRF), a new title and e-mail on
-- every request; a JSON summary line at the end, read back by submit_load.
local csrf = os.getenv("BENCH_CSRF")
local queue = os.getenv("BENCH_QUEUE")
local tag = os.getenv("BENCH_RUN_TAG")
local threads = {}
local counter = 0
thread_id = 0

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

local function urlencode(value)
  return (string.gsub(value, "([^%w%-%._~])", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

request = function()
  counter = counter + 1
  local id = string.format("%s-%d-%d", tag, thread_id, counter)
  local body = table.concat({
    "csrfmiddlewaretoken=" .. csrf,
    "queue=" .. queue,
    "title=" .. urlencode("Bench load " .. id),
    "body=" .. urlencode("Broadband keeps dropping since last night, restarting the modem does not help. " .. id),
    "priority=3",
    "submitter_email=" .. urlencode("load." .. id .. "@example.org"),
  }, "&")
  return wrk.format("POST", "/tickets/submit/", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=" .. csrf,
  }, body)
end

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
