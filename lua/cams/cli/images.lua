--- QR images of results saved into a folder: downloads of their QrImageUrl over the C
-- core's HTTP handle with the client's timeouts, CA bundle and proxy (the one decided for
-- its calls: never libcurl's own reading of ALL_PROXY and the like), HTTPS only; or, when
-- rendering, pictures drawn locally from their DeepLinkUrl (cams.cli.picture). An image
-- never replaces a file the batch reads or writes.

local files = require "cams.cli.files"
local picture = require "cams.cli.picture"

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
-- lists the files no image may replace, as { description, path } pairs; `render` true
-- draws the images instead of downloading them.
function M.new(client, dir, keep, render)
  return setmetatable({ client = client, dir = dir, keep = keep or {}, handle = nil,
    render = render == true }, Saver)
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

-- The path of the image of `data` in `ext`: <dir>/<QrdlCode>.<ext>, or <dir>/row-<n>.<ext>
-- when the code is not a safe name; nil and a message when it would replace a file kept.
function Saver:path(data, row, ext)
  local code = data.QrdlCode
  local name = type(code) == "string" and code:match("^[%w_-]+$") and code or ("row-" .. row)
  local path = self.dir .. "/" .. name .. "." .. ext
  for _, k in ipairs(self.keep) do -- the same file under another name: a link
    if files.same(path, k[2]) or files.same(path .. ".part", k[2]) then
      return nil, format("not saved: %s would replace %s %s", path, k[1], k[2])
    end
  end
  return path
end

-- Draws the image of a result from its DeepLinkUrl, in the format `image_format` (the
-- row's generate_qr_image: "SVG" or "PNG"; else the result's GenerateQrImage).
function Saver:draw(data, row, image_format)
  local kind = image_format or data.GenerateQrImage
  local path, err = self:path(data, row, kind == "SVG" and "svg" or "png")
  if not path then
    return nil, err
  end
  local ok, werr = picture.write(path, data.DeepLinkUrl)
  if not ok then
    return nil, "image not drawn: " .. werr
  end
  return path
end

--- Saves the image of a result `data` (QrdlCode, QrImageUrl or DeepLinkUrl,
-- GenerateQrImage) of row number `row` as <dir>/<QrdlCode>.<png|svg>, or <dir>/row-<n>.<ext>
-- when the code is not a safe name. When rendering, `image_format` (the row's
-- generate_qr_image) picks the format. Returns the path, or nil and a message.
function Saver:save(data, row, image_format)
  if type(data) ~= "table" then
    return nil, "the result has no Data"
  elseif self.render then
    return self:draw(data, row, image_format)
  end
  local url = data.QrImageUrl
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
  local path, perr = self:path(data, row, ext)
  if not path then
    return nil, perr
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
