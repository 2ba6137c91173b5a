--- CAMS operations described as data.
--
-- Each entry becomes a client method `client:<name>{...}` and a module
-- function `cams.<name>{...}`; adding an operation is adding an entry here.
--
-- Entry fields:
--   action   CAMS action name
--   version  API version
--   qps      documented per-account call limit (calls per second)
--   params   list of parameters, in the order they are checked:
--              [1]        snake_case name taken by the Lua function
--              [2]        PascalCase name sent to the API
--              required   the call fails when it is missing or empty
--              enum       list of the accepted values
--              integer    an integral Lua number is accepted and sent as
--                         decimal digits (strings are always accepted)
--              multiline  CR and LF are allowed in the value

local VERSION = "2020-06-06"

return {
  update_qrdl = {
    action = "UpdatePhoneMessageQrdl",
    version = VERSION,
    qps = 5,
    params = {
      { "phone_number", "PhoneNumber", required = true, integer = true },
      { "qrdl_code", "QrdlCode", required = true },
      { "prefilled_message", "PrefilledMessage", required = true, multiline = true },
      { "generate_qr_image", "GenerateQrImage", required = true, enum = { "SVG", "PNG" } },
      { "cust_space_id", "CustSpaceId" },
    },
  },
}
