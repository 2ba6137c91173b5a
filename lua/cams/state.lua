--- The state of a desired-state file (`<file>.state.json`): for each phone number, each
-- entry's name -> the live QrdlCode it stands for and what was last applied to it.
--
--   { kind = "cams qrdl state", numbers = { ["8615800000000"] = {
--       ["window-spring"] = { qrdl_code = "D9AA3...", message = "...", image = "PNG",
--                             deep_link = "https://wa.me/message/...", qr_image_url = ... },
--   } } }
--
-- Written only by export and apply, whole or not at all (a temporary file renamed into
-- place). A missing state file is an empty state: entries then adopt the unclaimed live
-- code with their message and image, or are created.
local cjson = require "cjson.safe"
local errors = require "cams.errors"

local M = {}

M.KIND = "cams qrdl state"
M.FIELDS = { "qrdl_code", "message", "image", "deep_link", "qr_image_url" }

local format = string.format

--- The path of the state file of the desired-state file `path`.
function M.path_of(path)
  return path .. ".state.json"
end

--- An empty state.
function M.new()
  return { kind = M.KIND, numbers = {} }
end

--- Checks a decoded state `t` (`name` for messages): the state, or nil and an
-- InvalidParameter error.
function M.check(t, name)
  name = name or "the state"
  if type(t) ~= "table" or t.kind ~= M.KIND or type(t.numbers) ~= "table" then
    return nil, errors.invalid(format("%s is not a state file of cams qrdl (kind '%s')", name,
      M.KIND))
  end
  for phone, entries in pairs(t.numbers) do
    if type(phone) ~= "string" or type(entries) ~= "table" then
      return nil, errors.invalid(format("%s: numbers must map phone numbers to entries", name))
    end
    for handle, e in pairs(entries) do
      if type(handle) ~= "string" or type(e) ~= "table" or type(e.qrdl_code) ~= "string" then
        return nil, errors.invalid(format("%s: entry %s of %s needs a qrdl_code", name,
          tostring(handle), phone))
      end
      for k, v in pairs(e) do
        if type(v) ~= "string" then
          e[k] = nil -- nulls and anything else a hand may have put there
        end
      end
    end
  end
  return t
end

--- Reads the state file `path`: the state (empty when there is no file), or nil and an
-- InvalidParameter error when the file is not a state file.
function M.read(path)
  local f = io.open(path, "rb")
  if not f then
    return M.new()
  end
  local text = f:read("*a") or ""
  f:close()
  local t = cjson.decode(text)
  return M.check(t, path)
end

--- The text of a state (keys sorted, one entry a line).
function M.encode(state)
  local json = require("cams.cli.output").json
  return json({ kind = M.KIND, numbers = state.numbers }, "  ",
    { "kind", "numbers", "qrdl_code", "message", "image", "deep_link", "qr_image_url" }) .. "\n"
end

--- Writes `state` to `path` atomically: true, or nil and the reason.
function M.write(path, state)
  return require("cams.cli.files").write_atomic(path, M.encode(state))
end

--- The entry of a live code (a Data object of list_qrdl, create_qrdl or update_qrdl).
function M.entry(code)
  local function text(v)
    return type(v) == "string" and v or nil
  end
  return { qrdl_code = text(code.QrdlCode), message = text(code.PrefilledMessage),
    image = text(code.GenerateQrImage), deep_link = text(code.DeepLinkUrl),
    qr_image_url = text(code.QrImageUrl) }
end

return M
