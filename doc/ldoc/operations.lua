-- Writes the LDoc pages of the typed helpers, which lua/cams.lua makes at run time from
-- the operations table: cams_operations.luadoc (the functions of module cams) and
-- client_operations.luadoc (the client's methods), into the folder given as argument.
--   LUA_PATH='lua/?.lua;;' lua5.4 doc/ldoc/operations.lua build/docs-src
-- Names, API names, required flags, allowed values, limits and results come from the
-- table; the sentences below only say what each operation and parameter is for.

local out_dir = assert(..., "usage: operations.lua OUTPUT_DIR")
local operations = require "cams.operations"

local SUMMARIES = {
  create_qrdl = "Create a message QR code (with its deep link) for a phone number.\n"
    .. "The answer's `Data` holds the new `QrdlCode`, `QrImageUrl` and `DeepLinkUrl`.",
  update_qrdl = "Change the prefilled message or the image format of a message QR code.\n"
    .. "Caution: an update retires the code it names. The original code no longer opens "
    .. "the chat (printed copies stop working); the answer's `Data` holds the code's new "
    .. "`QrdlCode`, `QrImageUrl` and `DeepLinkUrl`.",
  list_qrdl = "List the message QR codes of a phone number.",
  delete_qrdl = "Delete a message QR code.\n"
    .. "Printed copies of the code stop opening the chat.",
  list_phone_numbers = "List the WhatsApp phone numbers of the account.\n"
    .. "Returns the `PhoneNumbers` array: `PhoneNumber`, `VerifiedName`, `Status`, ...",
}

local PARAMS = {
  phone_number = "phone number, country code first (e.g. `8615800000000`)",
  qrdl_code = "the code, as `create_qrdl` and `list_qrdl` return it",
  prefilled_message = "message prefilled in the chat, any UTF-8 text",
  generate_qr_image = "image format of the QR code",
  cust_space_id = "space ID of an ISV sub-customer, or instance ID of a direct customer",
  isv_code = "ISV verification code",
  status = "only the numbers of this status (e.g. `VERIFIED`)",
}

local function sorted_names()
  local names = {}
  for name in pairs(operations) do
    names[#names + 1] = name
  end
  table.sort(names)
  return names
end

local function quoted(list)
  local out = {}
  for i, v in ipairs(list) do
    out[i] = '`"' .. v .. '"`'
  end
  return table.concat(out, ", ")
end

-- One @tparam line of a parameter: type, API name, then what the table says of it.
local function param_line(op_name, p)
  local name, api_name = p[1], p[2]
  local what = assert(PARAMS[name], "doc/ldoc/operations.lua: no description of parameter '"
    .. name .. "' of " .. op_name)
  local facts = { "`" .. api_name .. "`", p.required and "required" or "optional" }
  if p.enum then
    facts[#facts + 1] = "one of " .. quoted(p.enum) .. " (case-sensitive)"
  end
  if p.integer then
    facts[#facts + 1] = "a string or an integer"
  end
  if p.multiline then
    facts[#facts + 1] = "line breaks allowed"
  end
  return string.format("-- @tparam%s %s args.%s %s: %s", p.required and "" or "[opt]",
    p.integer and "string|number" or "string", name, table.concat(facts, ", "), what)
end

local function returns(entry)
  if entry.result then
    return {
      string.format("-- @treturn table `body.%s` (an empty table when the field is missing "
        .. "or null)", entry.result),
      "-- @treturn table body the whole response body",
    }
  end
  return { "-- @treturn table the response body (`RequestId`, `Code`, `Message`, `Data`, ...)" }
end

local function client_method(name, entry)
  local summary = assert(SUMMARIES[name], "doc/ldoc/operations.lua: no summary of " .. name)
  local lines = { "" }
  for line in (summary .. "\n"):gmatch("([^\n]*)\n") do
    lines[#lines + 1] = (#lines == 1 and "--- " or "-- ") .. line
  end
  lines[#lines + 1] = "--"
  lines[#lines + 1] = string.format("-- CAMS action `%s`, API version `%s`.", entry.action,
    entry.version)
  if entry.qps then
    lines[#lines + 1] = string.format("-- Documented limit: %g calls per second per "
      .. "account; the client paces its calls to it unless the `qps` option of @{cams.new} "
      .. "says otherwise.", entry.qps)
  end
  if entry.repeatable then
    lines[#lines + 1] = "-- After a lost answer it is sent again: a repeat is harmless"
      .. (entry.gone and string.format(" (`%s` for the repeat means the first one was "
        .. "done).", entry.gone) or ".")
  else
    lines[#lines + 1] = "-- Not repeatable: after a lost answer the number's codes are listed "
      .. "to tell whether it was made, and it is sent again only if it was not"
      .. (entry.reconcile == "create" and " (the codes are listed once before the first "
        .. "attempt, to compare with)." or ".")
  end
  lines[#lines + 1] = "-- @tparam table args named arguments (snake_case keys; an unknown "
    .. "key is an error)"
  for _, p in ipairs(entry.params) do
    lines[#lines + 1] = param_line(name, p)
  end
  lines[#lines + 1] = "-- @tparam[opt] table opts call options `method`, `params_in`, "
    .. "`headers`, `retries`, `timeout`, `deadline`, `reconcile`, `resend`, as for @{call}"
  for _, line in ipairs(returns(entry)) do
    lines[#lines + 1] = line
  end
  lines[#lines + 1] = "-- @return[2] nil"
  lines[#lines + 1] = "-- @treturn[2] cams.error err"
  lines[#lines + 1] = "-- @function " .. name
  return table.concat(lines, "\n")
end

local function module_function(name, entry)
  local lines = {
    "",
    string.format("--- @{cams.client:%s} on the default client (`%s`).", name, entry.action),
    "--",
    string.format("-- `cams.%s{...}` and `cams:%s{...}` both work. The default client is "
      .. "made by `cams.new()` on first use and kept.", name, name),
    "-- @tparam table args named arguments, as for the method",
    "-- @tparam[opt] table opts call options, as for the method",
  }
  for _, line in ipairs(returns(entry)) do
    lines[#lines + 1] = line
  end
  lines[#lines + 1] = "-- @return[2] nil"
  lines[#lines + 1] = "-- @treturn[2] cams.error err"
  lines[#lines + 1] = "-- @function " .. name
  return table.concat(lines, "\n")
end

local function write(file_name, header, item)
  local parts = { header }
  for _, name in ipairs(sorted_names()) do
    parts[#parts + 1] = item(name, operations[name])
  end
  local path = out_dir .. "/" .. file_name
  local f = assert(io.open(path, "w"))
  assert(f:write(table.concat(parts, "\n"), "\n"))
  assert(f:close())
end

-- The file's first comment must be its module's doc comment, or LDoc guesses a module
-- name from the path (and fails outside doc/ldoc/).
write("client_operations.luadoc", [[
--- Generated by doc/ldoc/operations.lua from lua/cams/operations.lua; merged into the
-- page of doc/ldoc/client.luadoc.
-- @classmod cams.client

--- Typed helpers.
-- One method per entry of @{cams.operations}, made when the module loads.
-- @section operations]], client_method)

write("cams_operations.luadoc", [[
--- Generated by doc/ldoc/operations.lua from lua/cams/operations.lua; merged into the
-- page of doc/ldoc/cams.luadoc.
-- @module cams

--- Typed helpers on the default client.
-- One function per entry of @{cams.operations}, made when the module loads.
-- @section operations]], module_function)
