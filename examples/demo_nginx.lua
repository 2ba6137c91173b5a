-- `make demo-nginx`: starts the mock CAMS server and an nginx running examples/nginx/
-- (its port, resolver, CA and package paths filled in for this machine), sends one update
-- through the example's admin endpoint, prints the answer and stops both.
package.path = "./?.lua;" .. package.path
local mock = require "spec.support.mock"
local example = require "spec.support.nginx_example"
local http = require "socket.http"
local ltn12 = require "ltn12"

local m = mock.start{}
local ok, err = pcall(function()
  local app = example.start(m)
  print("mock CAMS server: " .. m.endpoint)
  print("nginx running examples/nginx/nginx.conf: " .. app.url .. " (prefix " .. app.prefix .. ")")
  local body = '{"phone_number":"8615800000000","qrdl_code":"D9II3DEMO",'
    .. '"prefilled_message":"Hello from nginx","generate_qr_image":"PNG"}'
  print("POST " .. app.url .. "/admin/qrdl " .. body)
  local chunks = {}
  local _, code = http.request{ url = app.url .. "/admin/qrdl", method = "POST",
    source = ltn12.source.string(body), sink = ltn12.sink.table(chunks),
    headers = { ["content-type"] = "application/json", ["content-length"] = tostring(#body) } }
  print("HTTP " .. tostring(code) .. " " .. table.concat(chunks))
  app:stop()
  assert(code == 200, "the call through nginx failed")
end)
m:stop()
if not ok then
  io.stderr:write("demo-nginx: ", tostring(err), "\n")
  os.exit(1)
end
