--- QR codes people can see on the command line, drawn locally (cams.qr): `cams qrdl show`
-- draws a code on the terminal, and `cams qrdl create` and `update` draw (--show) or save
-- (--save) the code they made.
--
--   cams qrdl show --phone-number N --qrdl-code C   the code as list_qrdl gives it
--   cams qrdl show --deep-link URL                  any deep link; nothing is sent
--
-- The picture goes to stdout for `show`, to stderr for create and update (their stdout
-- holds the result, for --output and --query). --save FILE.png|FILE.svg writes the picture
-- too, replacing a file of that name; its name and folder are checked before anything is
-- sent.

local cli = require "cams.cli"
local picture = require "cams.cli.picture"
local term = require "cams.cli.term"

local M = {}

local format = string.format
local say = cli.say

local LEVELS = { "L", "M", "Q", "H" }

local function add_picture_options(cmd, where)
  cmd:flag("--invert", "Draw light on dark, for terminals with a dark background.")
  cmd:option("--level", "Error correction of the picture: L, M (default), Q or H.")
    :choices(LEVELS)
  cmd:option("--save", "Write the picture" .. (where and (" " .. where) or "")
    .. " to this file too: PNG or SVG, by "
    .. "its extension (an existing file is replaced).")
    :argname("<file>")
end

--- Registers `cams qrdl show` on the parser of `cams qrdl`.
function M.add_command(qrdl, epilog)
  local cmd = qrdl:command("show", "Draw a QR code on the terminal, with its message and deep "
    .. "link: a code of a phone number (looked up with list), or any deep link (nothing is "
    .. "sent).")
    :epilog("The picture is made locally from the deep link, in UTF-8 half blocks. " .. epilog)
  cmd:option("--phone-number", "Phone number of the code, country code first.")
  cmd:option("--qrdl-code", "The code to draw, as create and list return it.")
  cmd:option("--cust-space-id", "Space ID of an ISV sub-customer, or instance ID of a "
    .. "direct customer.")
  cmd:option("--deep-link", "Draw this deep link (an http:// or https:// URL) instead.")
    :argname("<url>")
  add_picture_options(cmd)
end

--- Adds --show, --invert, --level and --save to create or update.
function M.add_options(cmd)
  cmd:flag("--show", "Draw the new code on stderr (stdout keeps the result).")
  add_picture_options(cmd, "of the new code")
end

-- The lines of text under a picture: the code's fields, each made printable (they may
-- come from a server); a message keeps its line breaks.
local function caption(info)
  local lines = {}
  local function add(label, value)
    if type(value) ~= "string" or value == "" then
      return
    end
    local first = true
    for line in (value:gsub("\r\n", "\n") .. "\n"):gmatch("([^\n]*)\n") do
      lines[#lines + 1] = format("%-10s %s", first and label or "", term.printable(line))
      first = false
    end
  end
  add("QR code", info.QrdlCode)
  add("Phone", info.PhoneNumber)
  add("Message", info.PrefilledMessage)
  add("Deep link", info.DeepLinkUrl)
  return table.concat(lines, "\n") .. "\n"
end

-- --save: writes the picture of `code`; nil when done (or not asked for), else the exit
-- status of a failure, said.
local function save(args, code)
  if not args.save then
    return nil
  end
  local ok, err = picture.save(args.save, code)
  if not ok then
    say(err)
    return cli.FAILED
  end
  return nil
end

--- Writes the picture of `code` and the caption of `info` (QrdlCode, PhoneNumber,
-- PrefilledMessage, DeepLinkUrl) to `stream`.
function M.draw(stream, code, info, invert)
  stream:write(assert(code:terminal{ invert = invert == true }), caption(info))
  stream:flush()
end

---------------------------------------------------------------------------
-- create and update: --show, --save

--- Before a create or an update (nothing sent yet): nil to go on, else an exit status.
function M.before(args)
  if (args.invert or args.level) and not (args.show or args.save) then
    say((args.invert and "--invert" or "--level") .. " goes with --show or --save")
    return cli.USAGE
  end
  if args.save then
    local ok, err = picture.check_target(args.save)
    if not ok then
      say(err .. "; nothing was sent")
      return cli.USAGE
    end
  end
  return nil
end

--- After a create or an update answered `res` and its result was printed with exit status
-- `status`: the new code drawn (--show) and saved (--save). Returns the exit status.
function M.after(args, res, status)
  if not (args.show or args.save) then
    return status
  end
  local data = type(res) == "table" and type(res.Data) == "table" and res.Data or {}
  local code, err = picture.code(data.DeepLinkUrl, args.level)
  if not code then
    say("the answer has no deep link to draw (" .. err .. ")")
    return cli.FAILED
  end
  if args.show then
    M.draw(io.stderr, code, data, args.invert)
  end
  return save(args, code) or status
end

---------------------------------------------------------------------------
-- cams qrdl show

local function fail(err)
  io.stderr:write(term.printable(tostring(err)), "\n")
  return cli.status_of(err)
end

-- The list_qrdl entry of args.qrdl_code; nil and an exit status when there is none.
local function look_up(args, client)
  local params = { phone_number = args.phone_number, cust_space_id = args.cust_space_id }
  if args.dry_run then
    local req, err = client:prepare("list_qrdl", params)
    if not req then
      return nil, fail(err)
    end
    cli.print_request(args, req)
    return nil, cli.OK
  end
  local list, err = client:list_qrdl(params)
  if list == nil then
    return nil, fail(err)
  end
  for _, entry in ipairs(list) do
    if type(entry) == "table" and entry.QrdlCode == args.qrdl_code then
      return entry
    end
  end
  say(format("phone number %s has no QR code %s (cams qrdl list --phone-number %s lists "
    .. "its codes)", args.phone_number, args.qrdl_code, args.phone_number))
  return nil, cli.FAILED
end

-- Why the arguments of show do not go together, or nil.
local function bad_arguments(args)
  if args.output or args.query then
    return "show draws the code for people: --output and --query do not apply to it "
      .. "(cams qrdl list gives the fields)"
  elseif args.deep_link then
    if args.phone_number or args.qrdl_code or args.cust_space_id then
      return "--deep-link draws the link given: --phone-number, --qrdl-code and "
        .. "--cust-space-id do not go with it"
    end
    local bad = picture.bad_link(args.deep_link)
    return bad and ("--deep-link: " .. bad)
  elseif not (args.phone_number and args.qrdl_code) then
    return "show needs --phone-number and --qrdl-code, or --deep-link"
  end
  return nil
end

--- Runs `cams qrdl show`; `make_client(args)` makes the client (only a code to look up
-- needs one). Returns the exit status.
function M.run(args, make_client)
  local why = bad_arguments(args)
  if not why and args.save then
    local _, err = picture.check_target(args.save)
    why = err
  end
  if why then
    say(why .. "; nothing was sent")
    return cli.USAGE
  end
  local info, code, err
  if args.deep_link then
    info = { DeepLinkUrl = args.deep_link }
    code, err = picture.code(args.deep_link, args.level)
    if not code then
      say("--deep-link: " .. err .. "; nothing was sent")
      return cli.USAGE
    end
  else
    local client, status = make_client(args)
    if not client then
      return status
    end
    info, status = look_up(args, client)
    if not info then
      return status
    end
    code, err = picture.code(info.DeepLinkUrl, args.level)
    if not code then
      say(format("QR code %s cannot be drawn: %s", args.qrdl_code, err))
      return cli.FAILED
    end
  end
  M.draw(io.stdout, code, info, args.invert)
  return save(args, code) or cli.OK
end

return M
