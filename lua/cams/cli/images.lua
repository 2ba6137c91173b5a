--- Downloads of QR images (the QrImageUrl of a result) into a folder, over the C
-- core's HTTP handle with the client's timeouts, CA bundle and proxy (the one decided for
-- its calls: never libcurl's own reading of ALL_PROXY and the like). HTTPS only. An image
-- never replaces a file the batch reads or writes.

local files = require "cams.cli.files"

local M = {}

local format = string.format

local Saver = {}
Saver.__index = Saver

-- True for the names a saved image may take: <code or row-N>.<png|svg>, and the temporary
-- copy's .part.
local function image_name(name)
  local base = name:match("^(.*)%.part$") or name
  return base:match("^[%w_-]+%.png$") ~= nil or base:match("^[%w_-]+%.svg$") ~= nil
end

--- True when an image saved in the folder `dir` may replace the file `path`.
function M.may_replace(dir, path)
  local folder, name = files.split(path)
  return image_name(name) and files.same(folder, dir)
end

--- `client` gives the HTTP settings (cams.client.http_settings); `dir` must exist; `keep`
-- lists the files no image may replace, as { description, path } pairs.
function M.new(client, dir, keep)
  return setmetatable({ client = client, dir = dir, keep = keep or {}, handle = nil }, Saver)
end

function Saver:get(url)
  if not self.handle then
    local s = require("cams.client").http_settings(self.client)
    local ok, h = pcall(require("cams.core").http, {
      timeout = s.timeout, connect_timeout = s.connect_timeout, ca_file = s.ca_file,
      proxy = s.proxy, noproxy = s.no_proxy,
    })
    if not ok then
      return nil, tostring(h)
    end
    self.handle = h
  end
  local core = require "cams.core"
  local ok, status, headers, body = pcall(function()
    return self.handle:request(core.request{ method = "GET", url = url,
      headers = { accept = "image/png, image/svg+xml" } })
  end)
  if not ok then
    return nil, tostring(status)
  elseif status == nil then
    return nil, tostring(headers) .. ": " .. tostring(body)
  elseif status ~= 200 then
    return nil, "HTTP " .. tostring(status)
  elseif type(body) ~= "string" or body == "" then
    return nil, "empty image"
  end
  return body
end

--- Saves the image of a result `data` (QrdlCode, QrImageUrl, GenerateQrImage) as
-- <dir>/<QrdlCode>.<png|svg>, or <dir>/row-<n>.<ext> when the code is not a safe name.
-- Returns the path, or nil and a message.
function Saver:save(data, row)
  local url = type(data) == "table" and data.QrImageUrl
  if type(url) ~= "string" or url == "" then
    return nil, "the result has no QrImageUrl"
  end
  if not url:match("^[Hh][Tt][Tt][Pp][Ss]://") then
    return nil, "QrImageUrl is not an https:// URL"
  end
  local ext = url:match("%.(%a+)$") or url:match("%.(%a+)%?")
  ext = ext and ext:lower()
  if ext ~= "png" and ext ~= "svg" then
    ext = data.GenerateQrImage == "SVG" and "svg" or "png"
  end
  local code = data.QrdlCode
  local name = type(code) == "string" and code:match("^[%w_-]+$") and code or ("row-" .. row)
  local path = self.dir .. "/" .. name .. "." .. ext
  for _, k in ipairs(self.keep) do -- the same file under another name: a link
    if files.same(path, k[2]) or files.same(path .. ".part", k[2]) then
      return nil, format("not saved: %s would replace %s %s", path, k[1], k[2])
    end
  end
  local body, err = self:get(url)
  if not body then
    return nil, "image download failed: " .. err
  end
  local ok, werr = files.write_atomic(path, body)
  if not ok then
    return nil, "cannot write " .. path .. ": " .. tostring(werr)
  end
  return path
end

function Saver:close()
  if self.handle then
    self.handle:close()
    self.handle = nil
  end
end

return M
