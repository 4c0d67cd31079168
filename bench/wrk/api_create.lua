-- POST /api/v1/tickets/ as an integration would: its token (BENCH_TOKEN), a new customer and text
-- on every request, so each opens a ticket (201) rather than joining a repeat.
package.path = package.path .. ";" .. os.getenv("BENCH_WRK_DIR") .. "/?.lua"
require("common")

local token = os.getenv("BENCH_TOKEN")

request = function()
  local id = unique()
  local body = string.format(
    '{"channel": "app", "customer": {"name": "API user %s", "email": "api.%s@example.org"}, ' ..
    '"subject": "App crashes on start %s", ' ..
    '"description": "Since the update the app crashes as soon as it opens (%s).", ' ..
    '"desired_outcome": "Fix the app"}', id, id, id, id)
  return wrk.format("POST", "/api/v1/tickets/", {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["Authorization"] = "Token " .. token,
  }, body)
end
