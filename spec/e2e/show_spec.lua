-- QR codes drawn by the command line, read back: `cams qrdl show` (a code looked up at the
-- mock, or a deep link given), --show and --save of create and update, and update-batch
-- --render-images. Terminal pictures are parsed back module by module; files are decoded
-- by zbarimg (SVG rasterised by rsvg-convert first), as spec/e2e/qr_spec.lua does.
local mock_client = require "spec.support.mock_client"
local qr = require "cams.qr"
local samples = require "spec.support.qr_samples"
local util = require "spec.support.util"
local cjson = require "cjson"

local PHONE = "8615800000006"
local LINK = "https://wa.me/message/D9AA3EXAMPLE"
local read_file, write_file = util.read_file, util.write_file

local decode = require("spec.support.qr_read").zbar

-- The picture at the start of `text` (its lines of half blocks and spaces) and the rest.
local function split_picture(text)
  local picture, rest = {}, text
  while true do
    local line, after = rest:match("^([^\n]*\n)(.*)$")
    if not line or line:find("[^ \n\128-\255]") or not line:find("^[ \226\150\128\132\136]*\n$") then
      break
    end
    picture[#picture + 1], rest = line, after
  end
  return table.concat(picture), rest
end

-- The modules of the terminal picture at the start of `text`, and the text after it.
local function modules_of(text, code, invert)
  local picture, rest = split_picture(text)
  return samples.terminal_modules(picture, code.size + 2 * code.margin, invert), rest
end

describe("QR codes on the command line", function()
  local m = mock_client.use()
  local dir

  setup(function() dir = util.tmpdir("show") end)
  teardown(function() util.remove_tmpdir(dir) end)

  -- Runs `cams <args>` in dir against the mock; returns exit status, stdout, stderr.
  local function cams(args) return mock_client.cams(m, dir, args) end

  -- A new code of PHONE at the mock: its result's Data.
  local function create(message)
    local status, out, err = cams{ "qrdl", "create", "--phone-number", PHONE,
      "--prefilled-message", message, "--generate-qr-image", "PNG" }
    assert.equals(0, status, err)
    return cjson.decode(out).Data
  end

  -- The actions of the requests after the first `n` the mock has seen.
  local function actions_after(n)
    local out = {}
    for i, r in ipairs(m:requests()) do
      if i > n then out[#out + 1] = r.action end
    end
    return out
  end

  describe("cams qrdl show", function()
    it("draws a deep link given, module for module, with the link below; sends nothing",
      function()
      local status, out, err = cams{ "qrdl", "show", "--deep-link", LINK }
      assert.equals(0, status, err)
      assert.equals("", err)
      local code = assert(qr.encode(LINK))
      local rows, rest = modules_of(out, code, false)
      assert.same(samples.with_margin(code), rows)
      assert.equals("Deep link  " .. LINK .. "\n", rest)
      assert.equals(code:terminal() .. rest, out)

      status, out, err = cams{ "qrdl", "show", "--deep-link", LINK, "--invert", "--level", "H" }
      assert.equals(0, status, err)
      code = assert(qr.encode(LINK, { level = "H" }))
      rows = modules_of(out, code, true)
      assert.same(samples.with_margin(code), rows)
      assert.equals(0, m:request_count())
    end)

    it("looks a code up by phone number and code, and draws it with its message", function()
      local data = create("Hello!\nA table for two? \27[31m")
      create("another code")
      local before = m:request_count()
      local status, out, err = cams{ "qrdl", "show", "--phone-number", PHONE,
        "--qrdl-code", data.QrdlCode }
      assert.equals(0, status, err)
      local code = assert(qr.encode(data.DeepLinkUrl))
      local rows, rest = modules_of(out, code, false)
      assert.same(samples.with_margin(code), rows)
      -- the server's text shown printable, a message's lines kept
      assert.equals("QR code    " .. data.QrdlCode .. "\nPhone      " .. PHONE
        .. "\nMessage    Hello!\n           A table for two? \\x1B[31m\nDeep link  "
        .. data.DeepLinkUrl .. "\n", rest)
      assert.same({ "ListPhoneMessageQrdl" }, actions_after(before))
    end)

    it("saves the picture as PNG or SVG, read back as the exact deep link", function()
      local data = create("saved")
      for _, case in ipairs{ { "--deep-link", LINK, "--save", "link.png" },
          { "--deep-link", LINK, "--save", "link.SVG", "--level", "Q" },
          { "--phone-number", PHONE, "--qrdl-code", data.QrdlCode, "--save", "code.svg" },
          { "--phone-number", PHONE, "--qrdl-code", data.QrdlCode, "--save", "code.png" } } do
        local args = { "qrdl", "show" }
        for _, a in ipairs(case) do args[#args + 1] = a end
        local status, _, err = cams(args)
        assert.equals(0, status, err)
        local path = dir .. "/" .. case[#case - (case[#case - 1] == "--level" and 2 or 0)]
        local expected = case[1] == "--deep-link" and LINK or data.DeepLinkUrl
        assert.equals(expected .. "\n", decode(path), path)
      end
      assert.equals("\137PNG", read_file(dir .. "/link.png"):sub(1, 4))
      assert.matches("^<svg", read_file(dir .. "/link.SVG"))
      -- an existing file is replaced
      local status, _, err = cams{ "qrdl", "show", "--deep-link", LINK .. "2", "--save",
        "link.png" }
      assert.equals(0, status, err)
      assert.equals(LINK .. "2\n", decode(dir .. "/link.png"))
    end)

    it("an unknown code is an error (exit 1); --dry-run prints the lookup", function()
      create("one")
      local before = m:request_count()
      local status, out, err = cams{ "qrdl", "show", "--phone-number", PHONE, "--qrdl-code",
        "NOPE", "--save", "nope.png" }
      assert.equals(1, status, err)
      assert.equals("", out)
      assert.equals("cams: phone number " .. PHONE .. " has no QR code NOPE (cams qrdl list "
        .. "--phone-number " .. PHONE .. " lists its codes)\n", err)
      assert.is_nil(read_file(dir .. "/nope.png"))
      assert.same({ "ListPhoneMessageQrdl" }, actions_after(before))

      m:reset()
      status, out, err = cams{ "--dry-run", "qrdl", "show", "--phone-number", PHONE,
        "--qrdl-code", "X" }
      assert.equals(0, status, err)
      assert.matches("^POST https://", out)
      assert.truthy(out:find("ListPhoneMessageQrdl", 1, true))
      assert.equals(0, m:request_count())
    end)
  end)

  describe("create and update", function()
    before_each(function() m:keep_codes(false) end) -- an update answers with a new code

    it("create --show draws the new code on stderr, stdout keeps the result; --save writes it",
      function()
      local status, out, err = cams{ "--output", "tsv", "--query", "Data.QrdlCode", "qrdl",
        "create", "--phone-number", PHONE, "--prefilled-message", "new", "--generate-qr-image",
        "SVG", "--show", "--save", "new.png" }
      assert.equals(0, status, err)
      local new = out:match("^(%w+)\n$")
      assert.is_string(new, out)
      local link = "https://wa.me/message/" .. new
      local code = assert(qr.encode(link))
      local rows, rest = modules_of(err, code, false)
      assert.same(samples.with_margin(code), rows)
      assert.equals("QR code    " .. new .. "\nPhone      " .. PHONE .. "\nMessage    new\n"
        .. "Deep link  " .. link .. "\n", rest)
      assert.equals(link .. "\n", decode(dir .. "/new.png"))
    end)

    it("update --save and --show give the NEW code, after the warning about the old one",
      function()
      local old = create("before")
      local status, out, err = cams{ "qrdl", "update", "--phone-number", PHONE, "--qrdl-code",
        old.QrdlCode, "--prefilled-message", "after", "--generate-qr-image", "PNG", "--yes",
        "--save", "updated.svg", "--show", "--invert", "--level", "L" }
      assert.equals(0, status, err)
      local data = cjson.decode(out).Data
      assert.are_not.equal(old.QrdlCode, data.QrdlCode)
      assert.equals(data.DeepLinkUrl .. "\n", decode(dir .. "/updated.svg"))
      assert.are_not.equal(old.DeepLinkUrl, data.DeepLinkUrl)
      assert.matches("printed copies of it will no longer open the chat", err)
      assert.truthy(err:find("the QR code is now " .. data.QrdlCode, 1, true), err)
      local picture = assert(qr.encode(data.DeepLinkUrl, { level = "L" })):terminal{ invert = true }
      local at = err:find(picture, 1, true)
      assert.is_number(at, err)
      local code = assert(qr.encode(data.DeepLinkUrl, { level = "L" }))
      assert.same(samples.with_margin(code), (modules_of(err:sub(at), code, true)))
    end)
  end)

  describe("update-batch --render-images", function()
    before_each(function() m:keep_codes(false) end)

    it("draws every updated code from its new deep link, in its row's format", function()
      local codes = { "R001", "R002", "R003" }
      m:seed(PHONE, codes)
      write_file(dir .. "/rows.csv", "phone_number,qrdl_code,prefilled_message,generate_qr_image\n"
        .. PHONE .. ",R001,one,PNG\n" .. PHONE .. ",R002,two,SVG\n" .. PHONE .. ",R003,three,\n")
      local status, out, err = cams{ "qrdl", "update-batch", "rows.csv", "--yes",
        "--generate-qr-image", "SVG", "--save-images", "drawn", "--render-images",
        "--output", "tsv", "--query", "updated" }
      assert.equals(0, status, err)
      assert.equals("3\n", out)
      local recs = {}
      for _, l in ipairs(util.lines(read_file(dir .. "/rows.results.jsonl"))) do
        recs[#recs + 1] = cjson.decode(l)
      end
      assert.equals(3, #recs)
      for i, rec in ipairs(recs) do
        assert.are_not.equal(codes[i], rec.qrdl_code)
        local ext = i == 1 and "png" or "svg"
        assert.equals("drawn/" .. rec.qrdl_code .. "." .. ext, rec.image_file)
        assert.equals(rec.deep_link_url .. "\n", decode(dir .. "/" .. rec.image_file))
      end
      assert.equals("\137PNG", read_file(dir .. "/" .. recs[1].image_file):sub(1, 4))
      assert.equals(0, m:image_count()) -- nothing downloaded
    end)
  end)

  describe("bad input exits with 2 and sends nothing", function()
    local create_args = { "qrdl", "create", "--phone-number", PHONE, "--prefilled-message", "x",
      "--generate-qr-image", "PNG" }
    local update_args = { "qrdl", "update", "--phone-number", PHONE, "--qrdl-code", "C1",
      "--prefilled-message", "x", "--generate-qr-image", "PNG", "--yes" }
    local function with(base, ...)
      local out = {}
      for _, a in ipairs(base) do out[#out + 1] = a end
      for _, a in ipairs{ ... } do out[#out + 1] = a end
      return out
    end
    local cases = {
      { { "qrdl", "show" }, "show needs --phone-number and --qrdl-code, or --deep-link" },
      { { "qrdl", "show", "--phone-number", PHONE }, "show needs --phone-number and --qrdl-code" },
      { { "qrdl", "show", "--deep-link", "ftp://wa.me/x" },
        "--deep-link: the deep link must be an http:// or https:// URL; nothing was sent" },
      { { "qrdl", "show", "--deep-link", "wa.me/x" }, "must be an http:// or https:// URL" },
      { { "qrdl", "show", "--deep-link", "https://wa.me/a b" },
        "the deep link must not contain spaces or control characters" },
      { { "qrdl", "show", "--deep-link", "https://wa.me/a\tb" }, "spaces or control characters" },
      { { "qrdl", "show", "--deep-link", LINK, "--qrdl-code", "C1" },
        "--phone-number, --qrdl-code and --cust-space-id do not go with it" },
      { { "qrdl", "show", "--deep-link", LINK, "--save", "x.jpg" },
        "the picture's file name must end in .png or .svg, got 'x.jpg'; nothing was sent" },
      { { "qrdl", "show", "--phone-number", PHONE, "--qrdl-code", "C1", "--save", "x" },
        "must end in .png or .svg" },
      { { "qrdl", "show", "--deep-link", LINK, "--save", "missing/x.png" },
        "cannot write missing/x.png: " },
      { { "qrdl", "show", "--deep-link", LINK, "--level", "h" }, "level" },
      { { "--output", "json", "qrdl", "show", "--deep-link", LINK },
        "--output and --query do not apply to it" },
      { with(create_args, "--save", "new.gif"), "must end in .png or .svg, got 'new.gif'" },
      { with(create_args, "--show", "--save", "missing/new.png"), "cannot write missing/new.png" },
      { with(create_args, "--level", "H"), "--level goes with --show or --save" },
      { with(update_args, "--save", "new.pdf"), "got 'new.pdf'; nothing was sent" },
      { with(update_args, "--invert"), "--invert goes with --show or --save" },
      { { "qrdl", "update-batch", "rows.csv", "--yes", "--render-images" },
        "--render-images goes with --save-images" },
    }
    for _, case in ipairs(cases) do
      it(table.concat(case[1], " "), function()
        write_file(dir .. "/rows.csv", "phone_number,qrdl_code,prefilled_message,generate_qr_image\n"
          .. PHONE .. ",R001,one,PNG\n")
        local status, out, err = cams(case[1])
        assert.equals(2, status, err)
        assert.equals("", out)
        assert.truthy(err:find(case[2], 1, true), err)
        assert.equals(0, m:request_count())
        for _, name in ipairs{ "x.jpg", "x", "new.gif", "new.pdf" } do
          assert.is_nil(read_file(dir .. "/" .. name))
        end
      end)
    end
  end)
end)
