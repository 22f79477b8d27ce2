-- tests/load/check.lua - wrk script that checks every response, not only its status:
--   LOAD_JPEG   if set, POST this file as image/jpeg (else GET)
--   LOAD_EXPECT a plain substring every 200 body must contain
-- and every body must equal the thread's first one once a "ms":<time> field is blanked (the
-- server answers the same request the same way under load). done() prints
-- "body checks: N checked, M bad" (run_wrk.sh fails the phase if M > 0 or N == 0).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local jpeg = os.getenv("LOAD_JPEG")
if jpeg and jpeg ~= "" then
  local f = assert(io.open(jpeg, "rb"))
  wrk.method = "POST"
  wrk.body = f:read("*all")
  f:close()
  wrk.headers["Content-Type"] = "image/jpeg"
end

function init(args)
  expect = os.getenv("LOAD_EXPECT") or ""
  checked, bad, first, sample = 0, 0, nil, ""
end

function response(status, headers, body)
  checked = checked + 1
  local norm = string.gsub(body, '"ms":[0-9.e+-]+', '"ms":0')
  if first == nil and status == 200 then first = norm end
  if status ~= 200 or not string.find(body, expect, 1, true) or norm ~= first then
    bad = bad + 1
    if sample == "" then sample = status .. " " .. string.sub(body, 1, 200) end
  end
end

function done(summary, latency, requests)
  local c, b, s = 0, 0, ""
  for _, t in ipairs(threads) do
    c = c + t:get("checked")
    b = b + t:get("bad")
    if s == "" then s = t:get("sample") or "" end
  end
  io.write(string.format("body checks: %d checked, %d bad\n", c, b))
  if s ~= "" then io.write("first bad response: " .. s .. "\n") end
end
