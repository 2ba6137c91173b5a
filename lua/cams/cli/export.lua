--- `cams qrdl export`: the inventory of the QR codes of some phone numbers (--phone-number,
-- repeatable) or of every number of the account (--all-numbers), written as a desired
-- state (YAML, JSON; with its state file FILE.state.json), a CSV list, or a printable
-- HTML sheet (cams.qr.sheet).
local cli = require "cams.cli"
local desired = require "cams.desired"
local files = require "cams.cli.files"
local state_mod = require "cams.state"

local M = {}

local format = string.format
local say = cli.say

function M.add_command(qrdl, epilog)
  local cmd = qrdl:command("export", "Write the QR codes of phone numbers as a desired state "
    .. "(YAML or JSON, with its state file FILE.state.json for cams qrdl plan and apply), "
    .. "a CSV list or a printable HTML sheet."):epilog(epilog)
  cmd:option("--phone-number", "A phone number whose codes to export (repeatable)."):count("*")
  cmd:flag("--all-numbers", "Export the codes of every phone number of the account.")
  cmd:option("--cust-space-id", "Space ID of an ISV sub-customer, or instance ID of a direct "
    .. "customer.")
  cmd:option("--output-file", "Write to FILE (default: standard output, without a state file).")
    :argname("<file>")
  cmd:option("--format", "yaml, json, csv or html (default: from the extension of the output "
    .. "file, else yaml).")
    :choices{ "yaml", "json", "csv", "html" }
end

-- The entry name of a live code: its state name, else one made from the code.
local function name_for(code, taken)
  local base = "code-" .. code:lower():gsub("[^%w._-]", "-")
  local name, k = base, 1
  while taken[name] do
    k = k + 1
    name = base .. "-" .. k
  end
  return name
end

-- The phone numbers to export: those given, or every number of the account.
local function numbers_of(args, client)
  if args.all_numbers then
    if #args.phone_number > 0 then
      return nil, cli.USAGE, "--all-numbers and --phone-number do not go together"
    end
    local list, err = client:list_phone_numbers{ cust_space_id = args.cust_space_id }
    if not list then
      return nil, cli.status_of(err), err
    end
    local out = {}
    for _, n in ipairs(list) do
      if type(n) == "table" and type(n.PhoneNumber) == "string" then
        out[#out + 1] = n.PhoneNumber
      end
    end
    return out
  end
  if #args.phone_number == 0 then
    return nil, cli.USAGE, "name the numbers with --phone-number, or pass --all-numbers"
  end
  local seen = {}
  for _, p in ipairs(args.phone_number) do
    if not p:match("^%d+$") then
      return nil, cli.USAGE, format("--phone-number '%s' is not digits with the country code "
        .. "first", p)
    elseif seen[p] then
      return nil, cli.USAGE, format("--phone-number %s is given twice", p)
    end
    seen[p] = true
  end
  return args.phone_number
end

local function write(path, text)
  if not path then
    io.stdout:write(text)
    io.stdout:flush()
    return true
  end
  local ok, err = files.write_atomic(path, text)
  if not ok then
    say(format("cannot write %s: %s", path, tostring(err)))
  end
  return ok
end

function M.run(args, client)
  local fmt = args.format or (args.output_file and desired.format_of(args.output_file))
    or "yaml"
  local out_path = args.output_file
  local state_path = out_path and (fmt == "yaml" or fmt == "json")
    and state_mod.path_of(out_path)
  local old
  if state_path then
    local err
    old, err = state_mod.read(state_path)
    if not old then
      say(err.message)
      return cli.USAGE
    end
  end
  local phones, status, why = numbers_of(args, client)
  if not phones then
    say(why)
    return status
  end
  local wanted = { numbers = {} }
  local st = state_mod.new()
  local sheet_numbers, total = {}, 0
  for _, phone in ipairs(phones) do
    local codes, err = client:list_qrdl{ phone_number = phone, cust_space_id = args.cust_space_id }
    if not codes then
      io.stderr:write(require("cams.cli.term").printable(tostring(err)), "\n")
      return cli.status_of(err)
    end
    local names = {}
    for handle, e in pairs(old and old.numbers[phone] or {}) do
      names[e.qrdl_code] = handle
    end
    local taken, entries, sheet_codes, state_entries = {}, {}, {}, {}
    for handle in pairs(old and old.numbers[phone] or {}) do
      taken[handle] = true
    end
    for _, c in ipairs(codes) do
      if type(c) == "table" and type(c.QrdlCode) == "string" then
        local handle = names[c.QrdlCode]
        if not handle then
          handle = name_for(c.QrdlCode, taken)
          taken[handle] = true
        end
        entries[#entries + 1] = { name = handle, message = c.PrefilledMessage,
          image = c.GenerateQrImage }
        state_entries[handle] = state_mod.entry(c)
        sheet_codes[#sheet_codes + 1] = { name = handle, code = c.QrdlCode,
          message = c.PrefilledMessage, deep_link = c.DeepLinkUrl }
        total = total + 1
      end
    end
    wanted.numbers[#wanted.numbers + 1] = { phone_number = phone,
      cust_space_id = args.cust_space_id, prune = false, codes = entries }
    st.numbers[phone] = state_entries
    if #sheet_codes > 0 then
      sheet_numbers[#sheet_numbers + 1] = { phone_number = phone, codes = sheet_codes }
    end
  end
  local text
  if fmt == "html" then
    if #sheet_numbers == 0 then
      say("no QR codes to put on the sheet")
      return cli.FAILED
    end
    local err
    text, err = require("cams.qr.sheet").html(sheet_numbers)
    if not text then
      say(err.message)
      return cli.FAILED
    end
  else
    text = desired.encode(wanted, fmt)
  end
  if not write(out_path, text) then
    return cli.FAILED
  end
  if state_path then
    local ok, err = state_mod.write(state_path, st)
    if not ok then
      say(format("cannot write %s: %s", state_path, tostring(err)))
      return cli.FAILED
    end
  end
  io.stderr:write(format("exported %d QR code%s of %d phone number%s%s\n", total,
    total == 1 and "" or "s", #phones, #phones == 1 and "" or "s",
    out_path and (" to " .. out_path .. (state_path and (" (state: " .. state_path .. ")")
      or "")) or ""))
  return cli.OK
end

return M
