-- A mixed end-to-end workload against the mock server, for memory checkers (make valgrind):
-- V3 and V2, temporary keys, the generic call, injected faults with retries, bad input,
-- clients opened, closed and dropped, and QR codes drawn by the C core (every writer, the
-- HTML sheet, refused input). Every outcome is checked; exits non-zero on a surprise.
--
--   lua5.4 spec/support/workout.lua [CALLS]   (default 1000)
package.path = "lua/?.lua;lua/?/init.lua;./?.lua;" .. package.path

local cams = require "cams"
local core = require "cams.core"
local errors = require "cams.errors"
local mock = require "spec.support.mock"
local qr = require "cams.qr"
local sheet = require "cams.qr.sheet"

local calls = math.floor(tonumber(arg and arg[1]) or 1000)
local m = mock.start{}
m:keep_codes(true) -- one code serves every call of this workload

local ARGS = { phone_number = "8615800000000", qrdl_code = "D9II3ABC",
               prefilled_message = "Hello 你好 😀 *~+&=%\nbye", generate_qr_image = "PNG" }

local KEYS = {
  { access_key_id = "testid", access_key_secret = "testsecret" },
  { access_key_id = "stsodd", access_key_secret = "odd/Secret+=", security_token = "CAIS+odd/Token==" },
}

local function new_client(i)
  local o = { endpoint = m.endpoint, ca_file = m.ca_file, qps = false, retries = 2,
              retry_base_delay = 0.001, retry_max_delay = 0.002,
              signature = (i % 2 == 0) and "v3" or "v2" }
  for k, v in pairs(KEYS[i % #KEYS + 1]) do o[k] = v end
  return assert(cams.new(o))
end

-- Faults played now and then: the fault, how often in a row, the expected error code
-- (nil: the retry succeeds, or a broken answer is made up for by listing the codes, which
-- show the update's content in place).
local FAULTS = {
  { "InternalError", 1 }, { "close", 1 }, { "truncated", 1 }, { "reset", 1 },
  { "bad_gateway", 1 }, { "System.LimitControl", 3, "System.LimitControl" },
  { "malformed", 1 }, { "Ram.PermissionDeny", 1, "Ram.PermissionDeny" }, { "oversized", 1 },
}

local seen, surprises = {}, 0
local function expect(what, res, err, code)
  local got = res and "OK" or err.code
  seen[got] = (seen[got] or 0) + 1
  if got ~= (code or "OK") then
    surprises = surprises + 1
    io.stderr:write(what, ": expected ", code or "OK", ", got ", tostring(err or got), "\n")
  end
end

-- One QR code through every writer, and input that is refused (over the capacity, bad
-- options); every 50th round the HTML sheet.
local LEVELS = { "L", "M", "Q", "H" }
local function qr_round(i)
  local link = "https://wa.me/" .. ARGS.phone_number .. "?text="
    .. core.percent_encode(ARGS.prefilled_message):rep(i % 4 + 1)
  local code, err = qr.encode(i % 3 == 0 and ARGS.prefilled_message or link,
    { level = LEVELS[i % 4 + 1], margin = i % 5, scale = i % 3 + 1 })
  expect("qr", code, err)
  if code then
    local drawn = code:svg():sub(1, 5) == "<svg " and code:png():sub(2, 4) == "PNG"
      and #code:terminal{ invert = i % 2 == 0 } > code.size and #code:matrix() == code.size
    expect("qr writers", drawn, not drawn and errors.new{ code = "QR.Drawing",
      message = "a writer gave no picture" })
  end
  expect("qr too long", nil, select(2, qr.encode(("x"):rep(1274), { level = "H" })),
    "InvalidParameter")
  expect("qr bad option", nil, select(2, qr.encode(link, { margin = 99 })), "InvalidParameter")
  if i % 50 == 0 then
    local html, e = sheet.html({
      { phone_number = ARGS.phone_number, codes = {
        { name = "a", message = ARGS.prefilled_message, deep_link = link },
        { code = ARGS.qrdl_code, deep_link = "https://wa.me/message/" .. ARGS.qrdl_code } } },
    })
    expect("qr sheet", html, e)
  end
end

local client = new_client(0)
local sent = 0
for i = 1, calls do
  if i % 100 == 0 then
    client = new_client(math.floor(i / 100)) -- the old one is left to the garbage collector
  elseif i % 50 == 0 then
    client:close()
  end
  if i % 10 == 0 then
    local bad = { phone_number = "1", qrdl_code = "C\r\n", prefilled_message = "x",
                  generate_qr_image = "GIF" }
    expect("bad input", nil, select(2, client:update_qrdl(bad)), "InvalidParameter")
  end
  if i % 25 == 0 then
    local f = FAULTS[math.floor(i / 25) % #FAULTS + 1]
    m:fail(f[1], f[2])
    local res, err = client:update_qrdl(ARGS)
    expect("fault " .. f[1], res, err, f[3])
  elseif i % 7 == 0 then
    expect("call", client:call("ListPhoneMessageQrdl", { PhoneNumber = ARGS.phone_number }))
  else
    expect("update", client:update_qrdl(ARGS))
  end
  if i % 5 == 0 then
    qr_round(i)
  end
  sent = sent + 1
end
client:close()
local requests = m:request_count()
m:stop()
collectgarbage()

local codes = {}
for code, n in pairs(seen) do codes[#codes + 1] = code .. "=" .. n end
table.sort(codes)
print(("workout: %d calls, %d requests; outcomes: %s; %d surprises"):format(sent, requests,
  table.concat(codes, " "), surprises))
if surprises > 0 or requests < calls then os.exit(1) end
