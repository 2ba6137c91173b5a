--- The `cams` command line: the QR-code commands, generic calls and batch updates.
-- bin/cams runs `os.exit(require("cams.cli").main(arg))`.
--
-- Exit codes: 0 success, 1 API or network error (or failed rows), 2 usage error
-- (nothing was sent), 130 interrupted.

local argparse = require "argparse"
local cams = require "cams"
local operations = require "cams.operations"
local output = require "cams.cli.output"
local redact = require "cams.redact"
local term = require "cams.cli.term"

local M = {}

M.OK, M.FAILED, M.USAGE, M.INTERRUPTED = 0, 1, 2, 130

local format = string.format

local PARAM_HELP = {
  phone_number = "Phone number, country code first (e.g. 8615800000000).",
  qrdl_code = "The QR code's code, as create and list return it.",
  prefilled_message = "Message prefilled in the chat (UTF-8; line breaks allowed).",
  generate_qr_image = "Image format of the QR code: SVG or PNG.",
  cust_space_id = "Space ID of an ISV sub-customer, or instance ID of a direct customer.",
}

-- qrdl subcommands: name, operation, description; picture: --show and --save
-- (cams.cli.show).
local QRDL_COMMANDS = {
  { "create", "create_qrdl", "Create a QR code (with deep link) for a phone number.",
    picture = true },
  { "update", "update_qrdl", "Change the prefilled message or image format of a QR code.",
    picture = true },
  { "list", "list_qrdl", "List the QR codes of a phone number." },
  { "delete", "delete_qrdl", "Delete a QR code." },
}

-- Operations that make printed copies of a code useless: stated, then confirmed.
M.WARNINGS = {
  update_qrdl = "Updating a QR code invalidates the original: printed copies of it will "
    .. "no longer open the chat.",
  delete_qrdl = "Deleting a QR code invalidates it: printed copies of it will no longer "
    .. "open the chat.",
}

local GLOBAL_EPILOG = "Global options (before or after the command): --profile, --region, "
  .. "--endpoint, --ca-file, --signature, --timeout, --retries, --qps, --redis, --output, "
  .. "--query, --dry-run, --debug; see cams --help."

---------------------------------------------------------------------------
-- Argument conversion

local function positive_number(s)
  local n = tonumber(s)
  if not n or n ~= n or n <= 0 or n == math.huge then
    return nil, format("'%s' is not a positive number", s)
  end
  return n
end

local function count(s)
  local n = tonumber(s)
  if not n or n < 0 or n % 1 ~= 0 or n == math.huge then
    return nil, format("'%s' is not a whole number >= 0", s)
  end
  return math.floor(n)
end

local function qps(s)
  if s == "off" then
    return false
  end
  local n, err = positive_number(s)
  if not n then
    return nil, err .. " (or 'off')"
  end
  return n
end

local function option_name(param)
  return "--" .. param:gsub("_", "-")
end

---------------------------------------------------------------------------
-- Parser

local function add_global_options(p)
  p:option("--profile", "Credential profile to use.")
  p:option("--region", "Region id (default: ALIBABA_CLOUD_REGION_ID, else ap-southeast-1).")
  p:option("--endpoint", "Endpoint, host[:port] or https://host[:port] (overrides --region).")
  p:option("--ca-file", "PEM bundle of certificate authorities to trust.")
  p:option("--signature", "Signature version: v3 (default) or v2."):choices{ "v3", "v2" }
  p:option("--timeout", "Seconds allowed per attempt."):convert(positive_number)
  p:option("--retries", "Retries of throttled and failed attempts (default 3)."):convert(count)
  p:option("--qps", "Calls per second and operation (default: the documented 5), or off.")
    :convert(qps)
  p:option("--redis", "Pace the calls with every client of the account, on every machine, "
    .. "through this Redis: redis://[user:password@]host:port[/db] (default: CAMS_REDIS_URL).")
    :argname("<url>")
  p:option("--output", "Output format: json (default), table or tsv.")
    :choices{ "json", "table", "tsv" }
  p:option("--query", "Print only the value at this dotted path (e.g. Data.QrdlCode, "
    .. "1.QrdlCode; list positions count from 1).")
  p:flag("--dry-run", "Print the signed request that would be sent (secrets redacted); "
    .. "send nothing.")
  p:flag("--debug", "Trace requests and responses on stderr (secrets redacted), with the "
    .. "library's choices (credentials, rate limiting).")
end

local function add_params(cmd, op_name, as_defaults)
  for _, p in ipairs(operations[op_name].params) do
    local name = p[1]
    if not (as_defaults and name == "qrdl_code") then
      local o = cmd:option(option_name(name), PARAM_HELP[name] or name)
      if p.required and not as_defaults then
        o:count(1)
      end
    end
  end
end

function M.parser()
  local parser = argparse("cams",
    "Command line client of the Alibaba Cloud CAMS API (WhatsApp message QR codes).\n"
    .. "Credentials: the first of these that applies, as the aliyun CLI and the official "
    .. "SDKs look for them: the environment (ALIBABA_CLOUD_ACCESS_KEY_ID, "
    .. "ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN); an OIDC role "
    .. "(ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, "
    .. "ALIBABA_CLOUD_OIDC_TOKEN_FILE); the aliyun CLI profile in ~/.aliyun/config.json "
    .. "(--profile or ALIBABA_CLOUD_PROFILE names it); the credentials file "
    .. "~/.alibabacloud/credentials (or ALIBABA_CLOUD_CREDENTIALS_FILE); the ECS RAM role "
    .. "of the instance (unless ALIBABA_CLOUD_ECS_METADATA_DISABLED=true).")
    :command_target("command")
    :require_command(false)
    :epilog("Exit status: 0 success, 1 API or network error, 2 usage error (nothing sent).")
  parser:flag("--version", "Print the version of cams and lua-cams, and exit.")
  add_global_options(parser)

  local qrdl = parser:command("qrdl", "Message QR codes: create, update, list, delete, "
    .. "update-batch, show; as code: export, plan, apply."):command_target("qrdl_command")
    :epilog(GLOBAL_EPILOG)
  for _, c in ipairs(QRDL_COMMANDS) do
    local cmd = qrdl:command(c[1], c[3] .. (M.WARNINGS[c[2]] and ("\n" .. M.WARNINGS[c[2]]
      .. " Asks for confirmation on a terminal; --yes confirms in advance.") or ""))
      :epilog(GLOBAL_EPILOG)
    add_params(cmd, c[2])
    if M.WARNINGS[c[2]] then
      cmd:flag("-y --yes", "Confirm without asking.")
    end
    if c.picture then
      require("cams.cli.show").add_options(cmd)
    end
  end

  local batch = qrdl:command("update-batch", "Update many QR codes from a CSV or JSON Lines "
    .. "file, paced at the rate limit, with a journal to resume from.\n"
    .. M.WARNINGS.update_qrdl .. " Asks for confirmation on a terminal; --yes confirms in "
    .. "advance."):epilog("Row options (--phone-number, ...) fill fields a row leaves empty. "
    .. GLOBAL_EPILOG)
  batch:argument("file", "CSV file with a header row of parameter names (qrdl_code or "
    .. "QrdlCode, ...), or JSON Lines, one object a line.")
  batch:option("--input-format", "Format of FILE when its extension does not say.")
    :choices{ "csv", "jsonl" }
  batch:option("--output-file", "Results file, CSV when it ends in .csv, else JSON Lines "
    .. "(default: FILE's name with .results.jsonl).")
  batch:flag("--overwrite", "Replace an existing results file (refused otherwise, unless "
    .. "--resume continues the run that wrote it).")
  batch:option("--journal", "Journal of finished rows (default: the output file + .journal).")
  batch:flag("--resume", "Continue an interrupted run from its journal, skipping finished rows.")
  batch:flag("--retry-failed", "With --resume: process the rows that failed again.")
  batch:option("--save-images", "Download the QR image of every updated code into this folder.")
    :argname("<dir>")
  batch:flag("--render-images", "With --save-images: draw each image locally from its deep "
    .. "link (format: the row's generate_qr_image) instead of downloading it.")
  batch:option("--max-failures", "Stop after this many failed rows (the rest can be resumed).")
    :convert(count)
  batch:option("--progress-interval", "Seconds between progress lines when stderr is not a "
    .. "terminal (default 5)."):convert(positive_number)
  batch:flag("-y --yes", "Confirm without asking.")
  add_params(batch, "update_qrdl", true)
  require("cams.cli.show").add_command(qrdl, GLOBAL_EPILOG)
  require("cams.cli.export").add_command(qrdl, GLOBAL_EPILOG) -- QR codes as code
  require("cams.cli.plan").add_commands(qrdl, GLOBAL_EPILOG)

  local call = parser:command("call", "Call any CAMS action with PascalCase parameters: "
    .. "cams call ListPhoneMessageQrdl PhoneNumber=8615800000000"):epilog(GLOBAL_EPILOG)
  call:argument("action", "Action name, e.g. ListPhoneMessageQrdl.")
  call:argument("params", "Parameters as Key=Value."):args("*")
  call:option("--api-version", "API version (default " .. cams.API_VERSION .. ").")
  return parser
end

---------------------------------------------------------------------------
-- Running

--- Writes `msg` on stderr as the line "cams: <msg>", made printable: messages may quote a
-- server.
function M.say(msg)
  io.stderr:write("cams: ", term.printable((tostring(msg):gsub("^cams: ", ""))), "\n")
end
local say_error = M.say

--- Exit status of a library error: 2 for bad input found before sending, else 1.
function M.status_of(err)
  if type(err) == "table" and err.code == "InvalidParameter" and (err.attempts or 0) == 0 then
    return M.USAGE
  end
  return M.FAILED
end

local function fail(err)
  io.stderr:write(term.printable(tostring(err)), "\n")
  return M.status_of(err)
end

local function sorted_pairs(t)
  local keys = {}
  for k in pairs(t or {}) do
    keys[#keys + 1] = k
  end
  table.sort(keys)
  local i = 0
  return function()
    i = i + 1
    return keys[i], keys[i] and t[keys[i]]
  end
end

-- Text of a (redacted) request as it would go on the wire.
function M.request_text(req)
  local lines = { req.method .. " " .. req.url }
  for k, v in sorted_pairs(req.headers) do
    lines[#lines + 1] = k .. ": " .. v
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = req.body or ""
  return table.concat(lines, "\n")
end

-- The --debug trace: each line made printable (answers come from a server).
local function tracer(stream)
  return function(event, t)
    local lines = {}
    local function add(prefix, text)
      for line in (tostring(text) .. "\n"):gmatch("([^\n]*)\n") do
        lines[#lines + 1] = prefix .. term.printable(line)
      end
    end
    if event == "request" then
      add("> ", M.request_text(t))
    elseif t.status == nil then
      add("< ", format("no response (%.3f s): %s", t.seconds or 0, tostring(t.error)))
    else
      add("< ", format("HTTP %s (%.3f s)", tostring(t.status), t.seconds or 0))
      for k, v in sorted_pairs(t.headers) do
        add("< ", k .. ": " .. tostring(v))
      end
      lines[#lines + 1] = "<"
      add("< ", t.body or "")
    end
    stream:write(table.concat(lines, "\n"), "\n")
    stream:flush()
  end
end

--- A client from the global options; nil and an exit status when it cannot be made.
function M.client(args)
  local opts = {
    region = args.region, endpoint = args.endpoint, ca_file = args.ca_file,
    signature = args.signature, timeout = args.timeout, retries = args.retries,
    qps = args.qps, profile = args.profile, redis = args.redis,
  }
  if args.debug then
    opts.trace = tracer(io.stderr)
    opts.debug = true
  end
  local client, err = cams.new(opts)
  if client then
    return client
  end
  return nil, fail(err)
end

--- Prints a result in the chosen output format, after --query.
function M.print_result(args, v)
  if args.query then
    local picked, msg = output.query(v, args.query)
    if picked == nil then
      say_error(msg)
      return M.FAILED
    end
    v = picked
  end
  local fmt = args.output or "json"
  local raw = type(v) == "string" and fmt ~= "json" -- a --query string, as it is
  local text = raw and v or output.render(v, fmt)
  if raw or text ~= "" then
    if term.isatty(1) then -- for a person: nothing in it acts on the terminal
      text = text:gsub("[^\n]+", term.printable)
    end
    io.stdout:write(text, "\n")
  end
  io.stdout:flush()
  return M.OK
end

--- Prints a prepared request (redacted): as HTTP text, or as JSON with --output json.
function M.print_request(args, req)
  local shown = redact.request(req)
  if args.output == "json" then
    io.stdout:write(output.json({ method = shown.method, url = shown.url,
      headers = shown.headers, body = shown.body }, "  "), "\n")
  else
    io.stdout:write(M.request_text(shown), "\n")
  end
  io.stdout:flush()
end

-- Asks before an operation that invalidates codes; returns nil to go on, else an exit status.
local function confirmed(args, op_name)
  local warning = M.WARNINGS[op_name]
  if not warning or args.dry_run then
    return nil
  end
  local ok, why = term.confirm(warning, args.yes)
  if ok then
    return nil
  end
  say_error(why or "not confirmed; nothing was sent")
  return M.USAGE
end

local function run_operation(args, client, op_name)
  local picture = require "cams.cli.show"
  local status = picture.before(args) -- --save: a bad file name fails before anything
  if status then
    return status
  end
  local params = {}
  for _, p in ipairs(operations[op_name].params) do
    params[p[1]] = args[p[1]]
  end
  if args.dry_run then
    local req, err = client:prepare(op_name, params)
    if not req then
      return fail(err)
    end
    M.print_request(args, req)
    return M.OK
  end
  if M.WARNINGS[op_name] then -- bad arguments fail before the question
    local req, err = client:prepare(op_name, params)
    if not req then
      return fail(err)
    end
  end
  status = confirmed(args, op_name)
  if status then
    return status
  end
  local res, err = client[op_name](client, params)
  if res == nil then
    return fail(err)
  end
  M.tell_outcome(op_name, params, res)
  return picture.after(args, res, M.print_result(args, res))
end

--- On stderr, what a person must know about a change: the new code of an update that
-- replaced the old one (printed copies of the old one stop working), and a lost answer
-- made up for by listing the codes.
function M.tell_outcome(op_name, params, res)
  local data = type(res) == "table" and type(res.Data) == "table" and res.Data or {}
  if res.reconciled then
    say_error("the answer was lost; the listed codes show the change was made")
  end
  if op_name == "update_qrdl" and type(data.QrdlCode) == "string"
      and data.QrdlCode ~= params.qrdl_code then
    say_error(format("the QR code is now %s (%s); the old code %s no longer opens the chat: "
      .. "replace its printed copies", data.QrdlCode, tostring(data.DeepLinkUrl),
      tostring(params.qrdl_code)))
  end
end

local function run_call(args, client)
  local params = {}
  for _, kv in ipairs(args.params or {}) do
    local k, v = kv:match("^([^=]+)=(.*)$")
    if not k then
      say_error(format("parameter '%s' is not Key=Value", kv))
      return M.USAGE
    end
    if params[k] ~= nil then
      say_error(format("parameter '%s' is given twice", k))
      return M.USAGE
    end
    params[k] = v
  end
  local opts = { version = args.api_version }
  if args.dry_run then
    local req, err = client:prepare(args.action, params, opts)
    if not req then
      return fail(err)
    end
    M.print_request(args, req)
    return M.OK
  end
  local res, err = client:call(args.action, params, opts)
  if res == nil then
    return fail(err)
  end
  return M.print_result(args, res)
end

--- Runs the command line `argv` (a list of strings); returns the exit status.
function M.main(argv)
  local parser = M.parser()
  local list = {}
  for i = 1, #(argv or {}) do
    list[i] = argv[i]
  end
  local ok, args = parser:pparse(list)
  if ok and args.version then
    io.stdout:write("cams ", cams.VERSION, "\n")
    return M.OK
  elseif ok and not args.command then
    ok, args = false, "a command is required"
  end
  if not ok then
    io.stderr:write(parser:get_usage(), "\n\ncams: ", term.printable(tostring(args)), "\n")
    return M.USAGE
  end
  if args.qrdl_command == "show" then -- a deep link given needs no client
    return require("cams.cli.show").run(args, M.client)
  end
  local client, status = M.client(args)
  if not client then
    return status
  end
  if args.command == "call" then
    return run_call(args, client)
  elseif args.qrdl_command == "update-batch" then
    return require("cams.cli.update_batch").run(args, client)
  elseif args.qrdl_command == "export" then
    return require("cams.cli.export").run(args, client)
  elseif args.qrdl_command == "plan" or args.qrdl_command == "apply" then
    return require("cams.cli.plan")["run_" .. args.qrdl_command](args, client)
  end
  for _, c in ipairs(QRDL_COMMANDS) do
    if c[1] == args.qrdl_command then
      return run_operation(args, client, c[2])
    end
  end
  say_error("unknown command")
  return M.USAGE
end

return M
