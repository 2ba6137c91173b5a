--- CAMS operations described as data.
--
-- Each entry becomes a client method `client:<name>{...}` and a module
-- function `cams.<name>{...}`; adding an operation is adding an entry here.
--
-- Entry fields:
--   action   CAMS action name
--   version  API version
--   qps      documented per-account call limit (calls per second)
--   result   optional: name of the body field the helper returns first (the
--            whole body comes second); a missing or null field gives an
--            empty table. Without it the helper returns the body.
--   repeatable  whether sending the call again after a lost answer is harmless (List,
--               Delete); when not (Create, Update), `reconcile` names how cams.reconcile
--               tells from the listed codes what the lost attempt did: "create" or "update"
--   gone     the error code a repeat gets once the first attempt succeeded (Delete:
--            QrdlCode.NotFound), which then means done
--   data     what Data of a success must be, "list" or "object" (else Response.Malformed)
--   params   list of parameters, in the order they are checked:
--              [1]        snake_case name taken by the Lua function
--              [2]        PascalCase name sent to the API
--              required   the call fails when it is missing or empty
--              enum       list of the accepted values
--              integer    an integral Lua number is accepted and sent as
--                         decimal digits (strings are always accepted)
--              multiline  CR and LF are allowed in the value

local VERSION = require("cams.config").API_VERSION

local function phone_number(required)
  return { "phone_number", "PhoneNumber", required = required, integer = true }
end
local QRDL_CODE = { "qrdl_code", "QrdlCode", required = true }
local PREFILLED_MESSAGE = { "prefilled_message", "PrefilledMessage", required = true,
  multiline = true }
local GENERATE_QR_IMAGE = { "generate_qr_image", "GenerateQrImage", required = true,
  enum = { "SVG", "PNG" } }
local CUST_SPACE_ID = { "cust_space_id", "CustSpaceId" }

return {
  create_qrdl = {
    action = "CreatePhoneMessageQrdl",
    version = VERSION,
    qps = 5,
    repeatable = false,
    reconcile = "create",
    data = "object",
    params = { phone_number(true), PREFILLED_MESSAGE, GENERATE_QR_IMAGE, CUST_SPACE_ID },
  },
  update_qrdl = {
    action = "UpdatePhoneMessageQrdl",
    version = VERSION,
    qps = 5,
    repeatable = false,
    reconcile = "update",
    data = "object",
    params = { phone_number(true), QRDL_CODE, PREFILLED_MESSAGE, GENERATE_QR_IMAGE,
      CUST_SPACE_ID },
  },
  list_qrdl = {
    action = "ListPhoneMessageQrdl",
    version = VERSION,
    qps = 5,
    repeatable = true,
    result = "Data", -- the array of codes
    data = "list",
    params = { phone_number(true), CUST_SPACE_ID },
  },
  delete_qrdl = {
    action = "DeletePhoneMessageQrdl",
    version = VERSION,
    qps = 5,
    repeatable = true,
    gone = "QrdlCode.NotFound",
    params = { phone_number(true), QRDL_CODE, CUST_SPACE_ID },
  },
  -- the phone numbers of the account (an inventory of every number's codes starts here)
  list_phone_numbers = {
    action = "QueryChatappPhoneNumbers",
    version = VERSION,
    qps = 10,
    repeatable = true,
    result = "PhoneNumbers", -- the array of numbers
    params = { CUST_SPACE_ID, { "isv_code", "IsvCode" }, { "status", "Status" } },
  },
}
