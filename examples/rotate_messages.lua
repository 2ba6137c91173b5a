-- Gives every QR code of a phone number a new prefilled message: lists the codes, then
-- updates them all with client:update_many (paced at the rate limit, retried, one
-- result per code), keeping each code's image format.
--
--   export ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=...
--   lua5.4 examples/rotate_messages.lua 8615800000000 "Spring offers: ask us!"
--
-- Caution: after an update the original QR code no longer opens the chat (printed copies
-- stop working). ALIBABA_CLOUD_ENDPOINT and CAMS_CA_FILE point the client elsewhere (a
-- local mock, say).
local cams = require "cams"

local phone, message = arg[1], arg[2]
if not (phone and message) then
  io.stderr:write("usage: rotate_messages.lua PHONE_NUMBER NEW_MESSAGE\n")
  os.exit(2)
end

local client, err = cams.new()
if not client then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end

local codes
codes, err = client:list_qrdl{ phone_number = phone }
if not codes then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
if #codes == 0 then
  print("no QR codes for " .. phone)
  os.exit(0)
end

local rows = {}
for i, code in ipairs(codes) do
  rows[i] = { phone_number = phone, qrdl_code = code.QrdlCode, prefilled_message = message,
              generate_qr_image = code.GenerateQrImage }
end

local _, summary = client:update_many(rows, {
  on_result = function(i, res, rerr)
    if res then
      print(("%-12s updated  %s"):format(rows[i].qrdl_code, res.Data.DeepLinkUrl))
    else
      print(("%-12s FAILED   %s"):format(rows[i].qrdl_code, tostring(rerr)))
    end
  end,
  on_progress = function(done, total, failures)
    io.stderr:write(("\r%d/%d done, %d failed"):format(done, total, failures))
    if done == total then io.stderr:write("\n") end
  end,
})
os.exit(summary.failed == 0 and 0 or 1)
