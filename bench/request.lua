--- The request every benchmark sends: one UpdatePhoneMessageQrdl call.
-- The same values are in bench/request.h and bench/sdk.js.
local M = {}

M.ACCESS_KEY_ID = "LTAI5tBenchmarkKeyId00000"
M.ACCESS_KEY_SECRET = "BenchmarkSecretBenchmarkSecret"
M.HOST = "cams.ap-southeast-1.aliyuncs.com"

-- Arguments of client:update_qrdl.
M.ARGS = {
  phone_number = "8615800000000",
  qrdl_code = "D9II3BENCH01",
  prefilled_message = "Hello! Scan this code to chat with us about your order 👋",
  generate_qr_image = "SVG",
}

-- The same as CAMS parameters.
M.PARAMS = {
  PhoneNumber = M.ARGS.phone_number,
  QrdlCode = M.ARGS.qrdl_code,
  PrefilledMessage = M.ARGS.prefilled_message,
  GenerateQrImage = M.ARGS.generate_qr_image,
}

-- The documented success body, as the static benchmark location returns it.
M.RESPONSE = '{"RequestId":"0415135D-F684-96EA-BFF0-C066E11538AF","Code":"OK",'
  .. '"Message":"None","AccessDeniedDetail":"None","Data":{'
  .. '"QrImageUrl":"https://qrdl.cams-mock.invalid/D9II3BENCH01.svg",'
  .. '"PhoneNumber":"8615800000000","QrdlCode":"D9II3BENCH01",'
  .. '"DeepLinkUrl":"https://wa.me/message/D9II3BENCH01","GenerateQrImage":"SVG",'
  .. '"PrefilledMessage":"Hello! Scan this code to chat with us about your order"}}'

return M
