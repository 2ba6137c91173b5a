rockspec_format = "3.0"
package = "lua-cams"
version = "scm-1"
source = {
  url = "git+https://github.com/lua-cams/lua-cams.git",
}
description = {
  summary = "Alibaba Cloud CAMS (WhatsApp message QR codes) from Lua, with a C signing core",
  detailed = [[
Signs requests with Alibaba Cloud signature V3 (ACS3-HMAC-SHA256) or V2 (HMAC-SHA1) in C
with OpenSSL, sends them with libcurl over kept-alive HTTPS, and returns the decoded
response bodies as Lua tables: cams.new{...}:update_qrdl{...}, client:call(...).
]],
  license = "MIT",
  labels = { "alibaba", "cloud", "whatsapp", "api", "openssl", "curl" },
}
dependencies = {
  "lua >= 5.1, < 5.5",
  "lua-cjson",
}
external_dependencies = {
  -- Debian keeps curl/curl.h in a multiarch include folder the header probe misses.
  CURL = { library = "curl" },
  OPENSSL = { library = "crypto" },
}
build = {
  type = "builtin",
  modules = {
    ["cams.core"] = {
      sources = { "src/buf.c", "src/encode.c", "src/sign.c", "src/http.c", "src/cams_core.c" },
      libraries = { "curl", "crypto", "pthread" },
      incdirs = { "$(CURL_INCDIR)", "$(OPENSSL_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)", "$(OPENSSL_LIBDIR)" },
    },
    cams = "lua/cams.lua",
    ["cams.credentials"] = "lua/cams/credentials.lua",
    ["cams.endpoint"] = "lua/cams/endpoint.lua",
    ["cams.errors"] = "lua/cams/errors.lua",
    ["cams.operations"] = "lua/cams/operations.lua",
    ["cams.transport.curl"] = "lua/cams/transport/curl.lua",
    ["cams.validate"] = "lua/cams/validate.lua",
  },
}
