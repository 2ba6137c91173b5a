-- What the mock's own specs (spec/unit/mock_spec.lua, spec/e2e/mock_spec.lua) sign and
-- send: the parameters of an UpdatePhoneMessageQrdl call with awkward characters, and
-- the form encoding of a parameter table by the mock's rules.
local verify = require "spec.support.mock.verify"

local M = {}

M.PARAMS = {
  PhoneNumber = "8613800138000", QrdlCode = "D9II3ABC", GenerateQrImage = "SVG",
  PrefilledMessage = "Hi *'!() ~+ 你好 😀 a&b=c",
}

--- `params` (name -> value) as a form body or query string: sorted, strictly encoded.
function M.form(params)
  return verify.canonical_params(verify.to_pairs(params))
end

return M
