-- POST /submit/ as a customer would: the CSRF cookie and token fetched once by bench.loadtest
-- (BENCH_CSRF), a new submission id, e-mail and text on every request (no repeats, no replays).
package.path = package.path .. ";" .. os.getenv("BENCH_WRK_DIR") .. "/?.lua"
require("common")

local csrf = os.getenv("BENCH_CSRF")

request = function()
  local id = unique()
  local body = table.concat({
    "csrfmiddlewaretoken=" .. csrf,
    "name=" .. urlencode("测试用户 " .. id),
    "email=" .. urlencode("form." .. id .. "@example.org"),
    "phone=",
    "order_number=" .. urlencode("ORD-" .. id),
    "category=",
    "occurred_at=",
    "location=" .. urlencode("北京市朝阳区"),
    "subject=" .. urlencode("宽带断网 " .. id),
    "description=" .. urlencode("从昨天晚上开始宽带一直掉线，重启光猫也没有用。Broadband keeps dropping " .. id),
    "desired_outcome=" .. urlencode("尽快修好"),
    "consent=on",
    "website=",
    "submission_id=" .. unique_uuid(),
  }, "&")
  return wrk.format("POST", "/submit/", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=" .. csrf,
  }, body)
end
