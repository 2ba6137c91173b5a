rockspec_format = "3.0"
package = "lua-cams"
version = "0.1.0-1"
source = {
  url = "git+https://github.com/lua-cams/lua-cams.git",
  tag = "v0.1.0",
}
description = {
  summary = "Alibaba Cloud CAMS (WhatsApp message QR codes) from Lua, with a C signing core",
  detailed = [[
Signs requests with Alibaba Cloud signature V3 (ACS3-HMAC-SHA256) or V2 (HMAC-SHA1) in C
with OpenSSL, sends them with libcurl over kept-alive HTTPS, and returns the decoded
response bodies as Lua tables: cams.new{...}:update_qrdl{...}, client:call(...).
Draws QR codes of deep links locally (libqrencode; SVG, PNG through libpng, terminal text)
and printable HTML sheets of them.
]],
  homepage = "https://github.com/lua-cams/lua-cams",
  issues_url = "https://github.com/lua-cams/lua-cams/issues",
  license = "MIT",
  labels = { "alibaba", "cloud", "whatsapp", "api", "openssl", "curl", "qrcode" },
}
dependencies = {
  "lua >= 5.1, < 5.5",
  "lua-cjson",
  "argparse", -- the cams command
  "lyaml", -- its yaml module reads the YAML desired states of cams qrdl plan and apply
}
external_dependencies = {
  -- Debian keeps curl/curl.h in a multiarch include folder the header probe misses.
  CURL = { library = "curl" },
  OPENSSL = { library = "crypto" },
  QRENCODE = { library = "qrencode" },
  PNG = { library = "png" },
}
test = {
  type = "command",
  command = "make suite-builds && bash spec/support/run-suite",
}
build = {
  type = "builtin",
  modules = {
    ["cams.core"] = {
      sources = { "src/buf.c", "src/encode.c", "src/clock.c", "src/sign.c", "src/request.c",
        "src/http.c", "src/qr.c", "src/cams_core.c" },
      libraries = { "curl", "crypto", "qrencode", "png", "pthread" },
      incdirs = { "$(CURL_INCDIR)", "$(OPENSSL_INCDIR)", "$(QRENCODE_INCDIR)", "$(PNG_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)", "$(OPENSSL_LIBDIR)", "$(QRENCODE_LIBDIR)", "$(PNG_LIBDIR)" },
    },
    cams = "lua/cams.lua",
    ["cams.apply"] = "lua/cams/apply.lua",
    ["cams.batch"] = "lua/cams/batch.lua",
    ["cams.call"] = "lua/cams/call.lua",
    ["cams.cli"] = "lua/cams/cli.lua",
    ["cams.cli.csv"] = "lua/cams/cli/csv.lua",
    ["cams.cli.export"] = "lua/cams/cli/export.lua",
    ["cams.cli.files"] = "lua/cams/cli/files.lua",
    ["cams.cli.images"] = "lua/cams/cli/images.lua",
    ["cams.cli.journal"] = "lua/cams/cli/journal.lua",
    ["cams.cli.output"] = "lua/cams/cli/output.lua",
    ["cams.cli.picture"] = "lua/cams/cli/picture.lua",
    ["cams.cli.plan"] = "lua/cams/cli/plan.lua",
    ["cams.cli.progress"] = "lua/cams/cli/progress.lua",
    ["cams.cli.rows"] = "lua/cams/cli/rows.lua",
    ["cams.cli.show"] = "lua/cams/cli/show.lua",
    ["cams.cli.term"] = "lua/cams/cli/term.lua",
    ["cams.cli.update_batch"] = "lua/cams/cli/update_batch.lua",
    ["cams.client"] = "lua/cams/client.lua",
    ["cams.clock"] = "lua/cams/clock.lua",
    ["cams.config"] = "lua/cams/config.lua",
    ["cams.credentials"] = "lua/cams/credentials.lua",
    ["cams.credentials.chain"] = "lua/cams/credentials/chain.lua",
    ["cams.credentials.cli_profile"] = "lua/cams/credentials/cli_profile.lua",
    ["cams.credentials.custom"] = "lua/cams/credentials/custom.lua",
    ["cams.credentials.ecs_ram_role"] = "lua/cams/credentials/ecs_ram_role.lua",
    ["cams.credentials.env"] = "lua/cams/credentials/env.lua",
    ["cams.credentials.files"] = "lua/cams/credentials/files.lua",
    ["cams.credentials.ini"] = "lua/cams/credentials/ini.lua",
    ["cams.credentials.oidc"] = "lua/cams/credentials/oidc.lua",
    ["cams.credentials.profile_file"] = "lua/cams/credentials/profile_file.lua",
    ["cams.credentials.ram_role_arn"] = "lua/cams/credentials/ram_role_arn.lua",
    ["cams.credentials.refreshing"] = "lua/cams/credentials/refreshing.lua",
    ["cams.credentials.static"] = "lua/cams/credentials/static.lua",
    ["cams.credentials.sts"] = "lua/cams/credentials/sts.lua",
    ["cams.desired"] = "lua/cams/desired.lua",
    ["cams.endpoint"] = "lua/cams/endpoint.lua",
    ["cams.errors"] = "lua/cams/errors.lua",
    ["cams.operations"] = "lua/cams/operations.lua",
    ["cams.options"] = "lua/cams/options.lua",
    ["cams.pace"] = "lua/cams/pace.lua",
    ["cams.plan"] = "lua/cams/plan.lua",
    ["cams.qr"] = "lua/cams/qr.lua",
    ["cams.qr.sheet"] = "lua/cams/qr/sheet.lua",
    ["cams.ratelimit"] = "lua/cams/ratelimit.lua",
    ["cams.ratelimit.redis"] = "lua/cams/ratelimit/redis.lua",
    ["cams.ratelimit.redis_url"] = "lua/cams/ratelimit/redis_url.lua",
    ["cams.ratelimit.resp"] = "lua/cams/ratelimit/resp.lua",
    ["cams.ratelimit.shdict"] = "lua/cams/ratelimit/shdict.lua",
    ["cams.reconcile"] = "lua/cams/reconcile.lua",
    ["cams.redact"] = "lua/cams/redact.lua",
    ["cams.response"] = "lua/cams/response.lua",
    ["cams.retry"] = "lua/cams/retry.lua",
    ["cams.scrub"] = "lua/cams/scrub.lua",
    ["cams.send"] = "lua/cams/send.lua",
    ["cams.sign"] = "lua/cams/sign.lua",
    ["cams.state"] = "lua/cams/state.lua",
    ["cams.transport.curl"] = "lua/cams/transport/curl.lua",
    ["cams.transport.ngx"] = "lua/cams/transport/ngx.lua",
    ["cams.transport.select"] = "lua/cams/transport/select.lua",
    ["cams.validate"] = "lua/cams/validate.lua",
  },
  install = {
    bin = { cams = "bin/cams" },
  },
  -- the manual page and the shell completions, into the rock's doc/ folder
  copy_directories = { "doc/man", "doc/completions" },
}
