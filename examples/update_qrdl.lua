-- Updates the prefilled message of one WhatsApp message QR code and prints the result.
--
--   export ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=...
--   (or keep them in ~/.aliyun/config.json, ~/.alibabacloud/credentials, ...: see the
--   README's "Credentials")
--   lua5.4 examples/update_qrdl.lua 8615800000000 D9II3xxx "Hello from lua-cams" SVG
--
-- Caution: after an update the original QR code no longer opens the chat.
-- ALIBABA_CLOUD_ENDPOINT overrides the endpoint (the demo points it at the local mock) and
-- CAMS_CA_FILE names an extra CA bundle to trust.
local cams = require "cams"

local phone, code, message, image = arg[1], arg[2], arg[3], arg[4] or "SVG"
if not (phone and code and message) then
  io.stderr:write("usage: update_qrdl.lua PHONE_NUMBER QRDL_CODE MESSAGE [SVG|PNG]\n")
  os.exit(2)
end

-- Prints a table with sorted keys, nested tables indented.
local function dump(t, indent)
  indent = indent or ""
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    local v = t[k]
    if type(v) == "table" then
      print(indent .. tostring(k) .. " = {")
      dump(v, indent .. "  ")
      print(indent .. "}")
    else
      print(("%s%s = %q"):format(indent, tostring(k), tostring(v)))
    end
  end
end

local client, err = cams.new()
if not client then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
print("client: " .. tostring(client))

local res
res, err = client:update_qrdl{
  phone_number = phone, qrdl_code = code, prefilled_message = message, generate_qr_image = image,
}
if not res then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
dump(res)
