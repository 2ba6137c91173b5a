-- The pieces of the `cams` command line, in-process: CSV (cams.cli.csv), JSON and --query
-- (cams.cli.output), the journal of update-batch (cams.cli.journal), input rows
-- (cams.cli.rows) and the core's file helpers they use. spec/e2e/cli_spec.lua runs the
-- command itself.
local util = require "spec.support.util"
local cjson = require "cjson"

local q, write_file = util.q, util.write_file

describe("cams command line pieces", function()
  local csv = require "cams.cli.csv"
  local output = require "cams.cli.output"
  local rows = require "cams.cli.rows"

  it("parses RFC 4180 CSV", function()
    local recs = assert(csv.parse('a,b,c\r\n1,"x, ""y""\r\nz",\r\n\n"",q,"3"'))
    assert.equals(4, #recs)
    assert.same({ "a", "b", "c" }, { recs[1][1], recs[1][2], recs[1][3] })
    assert.same({ "1", 'x, "y"\r\nz', "" }, { recs[2][1], recs[2][2], recs[2][3] })
    assert.equals(2, recs[2].line)
    assert.same({ "" }, { recs[3][1], recs[3][2] })
    assert.equals(5, recs[4].line)
    assert.same({ "", "q", "3" }, { recs[4][1], recs[4][2], recs[4][3] })
    assert.same({ nil, "line 2: a quoted field is not closed" }, { csv.parse('a\n"b') })
    assert.same({ nil, "line 1: unexpected text after a closing quote" }, { csv.parse('"a"b') })
    assert.matches("line 2: a quote", select(2, csv.parse('a\nb"c')))
    assert.equals('plain,"a,b","say ""hi""","two\nlines"," lead"\r\n',
                  csv.line{ "plain", "a,b", 'say "hi"', "two\nlines", " lead" })
    local back = csv.parse(csv.line{ "a,b", 'q"', "n\nl" })
    assert.same({ "a,b", 'q"', "n\nl" }, { back[1][1], back[1][2], back[1][3] })
  end)

  it("renders JSON with sorted keys, [] for the empty list, and escapes", function()
    assert.equals('{"a":1,"b":[1,2.5,"x"],"c":{"d":null}}',
                  output.json{ b = { 1, 2.5, "x" }, a = 1, c = { d = cjson.null } })
    assert.equals("[]", output.json({}))
    assert.equals('"tab\\t\\"q\\"\\u0001/"', output.json('tab\t"q"\1/'))
    assert.equals('{"row":1,"status":"ok","a":true}', output.json{ a = true, status = "ok", row = 1 })
  end)

  it("keeps a journal that survives a line cut short", function()
    local journal = require "cams.cli.journal"
    local path = os.tmpname()
    local j = assert(journal.create(path, { input = "x.csv", checksum = "00000001", rows = 3 }))
    assert(j:add{ row = 1, status = "ok" })
    j:close()
    local f = assert(io.open(path, "ab"))
    f:write('{"row":2,"sta') -- a process killed in the middle of a write
    f:close()
    local header, records, complete = journal.read(path)
    assert.equals("x.csv", header.input)
    assert.equals(3, header.rows)
    assert.same({ [1] = { row = 1, status = "ok" } }, records)
    assert.is_false(complete)
    j = assert(journal.reopen(path, complete))
    assert(j:add{ row = 2, status = "error" })
    j:close()
    header, records, complete = journal.read(path)
    assert.equals("00000001", header.checksum)
    assert.equals("error", records[2].status)
    assert.is_true(complete)
    write_file(path, "not a journal\n")
    assert.same({ false, path .. " is not a journal of update-batch" }, { journal.read(path) })
    write_file(path, "") -- locked by a run that had sent nothing yet: no journal
    assert.is_nil(journal.read(path))
    os.remove(path)
    assert.is_nil(journal.read(path))
  end)

  it("takes from a journal only the records of its batch", function()
    local journal = require "cams.cli.journal"
    local path = os.tmpname()
    local head = '{"kind":"cams qrdl update-batch journal","input":"x.csv","checksum":"00000001","rows":3}\n'
    local good = { [1] = { row = 1, status = "ok", qrdl_code = "A", reconciled = true },
                   [3] = { row = 3, status = "error", error_code = "E" } }
    local kept = '{"row":1,"status":"ok","qrdl_code":"A","reconciled":true}\n'
      .. '{"row":3,"status":"error","error_code":"E"}\n'
    -- lines that are not records of a batch of 3 rows: each is passed over, alone or not
    for _, line in ipairs{ '{"row":NaN,"status":"ok"}', '{"row":Infinity,"status":"ok"}',
        '{"row":-Infinity,"status":"ok"}', '{"row":0,"status":"ok"}', '{"row":4,"status":"ok"}',
        '{"row":-1,"status":"ok"}', '{"row":2.5,"status":"ok"}', '{"row":"2","status":"ok"}',
        '{"row":1e300,"status":"ok"}', '{"row":2}', '{"row":2,"status":"done"}',
        '{"row":2,"status":["ok"]}', '{"row":2,"status":"ok","qrdl_code":{"a":1}}',
        '{"row":2,"status":"ok","request_id":7}', '{"row":2,"status":"ok","x":null}',
        '[2,"ok"]', '2', '"row"', 'null', '{"row":2,"st' } do
      write_file(path, head .. line .. "\n")
      local header, records = journal.read(path)
      assert.equals(3, header.rows, line)
      assert.same({}, records, line)
      write_file(path, head .. kept .. line .. "\n" .. line .. "\n")
      records = select(2, journal.read(path))
      assert.same(good, records, line)
      if math.type then -- rows are integers, as the rows of the input are counted
        for i, rec in pairs(records) do
          assert.equals("integer", math.type(i))
          assert.equals("integer", math.type(rec.row))
        end
      end
    end
    -- a first line that does not describe a batch: not a journal at all
    for _, h in ipairs{ '{"kind":"cams qrdl update-batch journal","checksum":"1","rows":NaN}',
        '{"kind":"cams qrdl update-batch journal","checksum":"1","rows":"3"}',
        '{"kind":"cams qrdl update-batch journal","checksum":"1","rows":0}',
        '{"kind":"cams qrdl update-batch journal","checksum":"1","rows":2.5}',
        '{"kind":"cams qrdl update-batch journal","checksum":"1","rows":1e300}',
        '{"kind":"cams qrdl update-batch journal","checksum":1,"rows":3}',
        '{"kind":"other","checksum":"1","rows":3}', '[1]', 'NaN' } do
      write_file(path, h .. "\n" .. kept)
      assert.same({ false, path .. " is not a journal of update-batch" }, { journal.read(path) }, h)
    end
    os.remove(path)
  end)

  it("picks values with --query paths", function()
    local v = { Data = { { QrdlCode = "A" }, { QrdlCode = "B" } }, Code = "OK" }
    assert.equals("B", output.query(v, "Data.2.QrdlCode"))
    assert.equals("OK", output.query(v, "Code"))
    assert.is_nil(output.query(v, "Data.3"))
    assert.matches("no field 'x'", select(2, output.query(v, "Code.x")))
    assert.matches("empty segment", select(2, output.query(v, "Data..x")))
  end)

  it("reads rows with snake_case or PascalCase names and refuses unknown ones", function()
    local path = os.tmpname()
    write_file(path, "QrdlCode, prefilled_message ,GenerateQrImage\nA,hi,SVG\n\nB,,PNG\n")
    local list, sum = rows.read(path, "update_qrdl", "csv")
    assert.same({ { qrdl_code = "A", prefilled_message = "hi", generate_qr_image = "SVG" },
                  { qrdl_code = "B", generate_qr_image = "PNG" } }, list)
    assert.matches("^%x%x%x%x%x%x%x%x$", sum)
    write_file(path, "QrdlCode,qrdl_code\nA,B\n")
    assert.matches("column 'qrdl_code' appears twice", select(2, rows.read(path, "update_qrdl", "csv")))
    write_file(path, "qrdl_code,x\nA\n")
    assert.matches("unknown column 'x'", select(2, rows.read(path, "update_qrdl", "csv")))
    write_file(path, "qrdl_code,phone_number\nA\n")
    assert.matches("line 2 has 1 fields, the header has 2", select(2, rows.read(path, "update_qrdl", "csv")))
    write_file(path, '{"QrdlCode":"A"}\n[1]\n')
    assert.matches("line 2 is not a JSON object", select(2, rows.read(path, "update_qrdl", "jsonl")))
    write_file(path, '{"QrdlCode":"A"}\n[]\n')
    assert.matches("line 2 is not a JSON object", select(2, rows.read(path, "update_qrdl", "jsonl")))
    os.remove(path)
  end)

  it("trims values, never the prefilled message, and reads files starting with a BOM", function()
    local path = os.tmpname()
    local BOM = "\239\187\191"
    local want = { qrdl_code = "A", prefilled_message = "  hi  there \n", generate_qr_image = "SVG",
                   phone_number = "8615800000000" }
    write_file(path, BOM .. "qrdl_code, prefilled_message ,generate_qr_image,phone_number,cust_space_id\r\n"
      .. ' A\t,"  hi  there \n",SVG ," 8615800000000 ",   \r\n')
    assert.same({ want }, (rows.read(path, "update_qrdl", "csv")))
    local jsonl = BOM .. '{"QrdlCode":" A ","PrefilledMessage":"  hi  there \\n","generate_qr_image":"SVG\\t",'
      .. '"phone_number":8615800000000,"cust_space_id":" "}\r\n'
    write_file(path, jsonl)
    assert.same({ want }, (rows.read(path, "update_qrdl", "jsonl")))
    assert.same({ want }, (rows.read(path, "update_qrdl"))) -- told from the first character
    -- every value is text: whole numbers become digits, other JSON values are refused
    for text, msg in pairs{
      ['{"qrdl_code":"A","phone_number":86.5}'] = "line 1: phone_number: not an integral number",
      ['{"qrdl_code":"A","phone_number":1e300}'] = "line 1: phone_number: too large",
      ['{"qrdl_code":"A","generate_qr_image":true}'] = "line 1: generate_qr_image must be text, not boolean",
      ['{"qrdl_code":["A"]}'] = "line 1: qrdl_code must be text, not a list or object",
    } do
      write_file(path, text .. "\n")
      local list, err = rows.read(path, "update_qrdl", "jsonl")
      assert.is_nil(list, text)
      assert.equals(path .. ": " .. msg, err:sub(1, #path + 2 + #msg), text)
    end
    os.remove(path)
  end)

  it("refuses a JSON Lines row that gives a field twice, whichever way", function()
    local path = os.tmpname()
    for text, msg in pairs{
      ['{"qrdl_code":"A"}\n{"qrdl_code":"B","QrdlCode":"C"}\n'] =
        "line 2: qrdl_code is given twice (as qrdl_code and QrdlCode)",
      ['{"QrdlCode":"B","phone_number":"1","qrdl_code":"B"}\n'] =
        "line 1: qrdl_code is given twice (as QrdlCode and qrdl_code)",
      ['{"qrdl_code":"A","prefilled_message":"x","qrdl_code":"B"}\n'] =
        "line 1: qrdl_code is given twice",
      ['{"qrdl_code":"A","qrdl\\u005fcode":"B"}\n'] = "line 1: qrdl_code is given twice",
    } do
      write_file(path, text)
      for _ = 1, 20 do -- the same answer every time (the order of a table is not the file's)
        assert.same({ nil, path .. ": " .. msg }, { rows.read(path, "update_qrdl", "jsonl") })
      end
    end
    -- the first unknown name of the line is the one reported
    write_file(path, '{"qrdl_code":"A","zeta":1,"alpha":2,"mid":3}\n')
    for _ = 1, 20 do
      assert.matches("unknown column 'zeta'", select(2, rows.read(path, "update_qrdl", "jsonl")))
    end
    -- nested values do not count as fields of the row
    write_file(path, '{"qrdl_code":"A","prefilled_message":"x","cust_space_id":null}\n')
    assert.same({ { qrdl_code = "A", prefilled_message = "x" } }, (rows.read(path, "update_qrdl", "jsonl")))
    os.remove(path)
  end)

  describe("QR image downloads", function()
    local fake_client = require "spec.support.fake_client"
    local f = fake_client.use()
    local dir
    setup(function() dir = util.tmpdir("cli-images") end)
    teardown(function() util.remove_tmpdir(dir) end)

    -- the options of the HTTP handle that downloaded an image for a client made with `opts`
    local function download(opts)
      local saver = require("cams.cli.images").new(f.new_ok(opts), dir)
      assert.equals(dir .. "/D9AA3xxx.png", saver:save({ QrdlCode = "D9AA3xxx",
        QrImageUrl = "https://qrdl.test/D9AA3xxx.png" }, 1))
      assert.equals("https://qrdl.test/D9AA3xxx.png", f.calls.last_request.url)
      saver:close()
      return f.calls.http_opts
    end

    it("go through the proxy decided for the client's calls, with its timeouts and CA", function()
      local h = download{ timeout = 7, connect_timeout = 3 }
      assert.equals("", h.proxy) -- none: libcurl must not pick ALL_PROXY or http_proxy itself
      assert.equals(7, h.timeout)
      assert.equals(3, h.connect_timeout)
      f.env.HTTPS_PROXY = "http://proxy.test:3128"
      f.env.NO_PROXY = "localhost,.internal"
      h = download()
      assert.equals("http://proxy.test:3128", h.proxy)
      assert.equals("localhost,.internal", h.noproxy)
      h = download{ proxy = false, ca_file = "/etc/hostname" }
      assert.equals("", h.proxy)
      assert.equals("/etc/hostname", h.ca_file)
    end)
  end)

  describe("server text on stderr", function()
    local fake_client = require "spec.support.fake_client"
    local answer -- status and body of every answer of the fake core
    local f = fake_client.use(function() return answer[1], { ["x-acs-request-id"] = "R1" }, answer[2] end)
    before_each(function()
      f.env.ALIBABA_CLOUD_ACCESS_KEY_ID = fake_client.KEY_ID
      f.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = fake_client.SECRET
    end)

    -- cams <argv> in this process; returns the exit status and what went to stderr
    local function run(argv)
      local cli = require "cams.cli" -- of this test's load, over the fake core
      local err = {}
      local sink = { write = function(self, ...)
        for _, s in ipairs{ ... } do err[#err + 1] = s end
        return self
      end, flush = function() end }
      local out = {}
      local out_sink = { write = function(self, ...)
        for _, s in ipairs{ ... } do out[#out + 1] = s end
        return self
      end, flush = function() end }
      local saved_err, saved_out = io.stderr, io.stdout -- the command writes to io.std*
      rawset(io, "stderr", sink)
      rawset(io, "stdout", out_sink)
      local ok, status = pcall(cli.main, argv)
      rawset(io, "stderr", saved_err)
      rawset(io, "stdout", saved_out)
      assert(ok, status)
      return status, table.concat(err), table.concat(out)
    end

    -- no byte a terminal acts on: C0 and C1 controls, DEL, bidirectional controls, bytes
    -- outside UTF-8; line breaks only at the ends of lines
    local function assert_printable(err)
      for line in err:gmatch("([^\n]*)\n") do
        assert.is_nil(line:find("[%c\127]"), line)
        assert.is_nil(line:find("\194[\128-\159]"), line)
        assert.is_nil(line:find("\226\128[\168-\174]"), line)
        assert.truthy(require("cams.core").utf8_valid(line), line)
      end
      assert.equals("\n", err:sub(-1))
    end

    local LIST = { "qrdl", "list", "--phone-number", "8615800000000" }

    it("escapes control characters of an error's message and request id", function()
      answer = { 400, '{"Code":"Odd.Code\\u001b[8m","Message":"red \\u001b[31mtext\\u001b[0m, bell '
        .. '\\u0007, title \\u001b]0;owned\\u0007, csi \\u009b2J, right-to-left \\u202e end, two\\nlines",'
        .. '"RequestId":"R\\u001b[2J"}' }
      local status, err = run(LIST)
      assert.equals(1, status)
      assert_printable(err)
      assert.truthy(err:find("Odd.Code\\x1B[8m: red \\x1B[31mtext\\x1B[0m, bell \\x07, title "
        .. "\\x1B]0;owned\\x07, csi \\u009B2J, right-to-left \\u202E end, two lines", 1, true), err)
      assert.truthy(err:find("RequestId R\\x1B[2J", 1, true), err)
    end)

    it("shows an answer that is not UTF-8 escaped, byte for byte", function()
      answer = { 502, "\31\139\8\0\0\0\0\0\0\3\171\86\202\27[2J" } -- a gzip body
      local status, err = run(LIST)
      assert.equals(1, status)
      assert_printable(err)
      assert.truthy(err:find("\\x1F\\x8B\\x08\\x00", 1, true), err)
      assert.truthy(err:find("\\x03\\xABV\\xCA\\x1B[2J", 1, true), err)
    end)

    it("escapes the answers traced by --debug", function()
      answer = { 502, "<html>\27]0;owned\7\n\27[2J\226\128\174</html>\200" }
      local status, err = run{ "--debug", "--retries", "0", "qrdl", "list", "--phone-number", "1" }
      assert.equals(1, status)
      assert_printable(err)
      assert.truthy(err:find("< <html>\\x1B]0;owned\\x07\n< \\x1B[2J\\xE2\\x80\\xAE</html>\\xC8\n", 1, true), err)
    end)

    it("escapes server text printed on stdout when it is a terminal, not in a pipe", function()
      answer = { 200, '{"Code":"OK","RequestId":"R1","Data":[{"QrdlCode":"C1",'
        .. '"PrefilledMessage":"hi\\u001b]0;owned\\u0007 \\u009b2J \\u202e\\nbye"}]}' }
      local term = require "cams.cli.term"
      local isatty = term.isatty
      local outputs = {}
      for _, tty in ipairs{ true, false } do
        term.isatty = function(fd) return fd == 1 and tty end
        for _, fmt in ipairs{ "json", "table", "tsv", "raw" } do
          local argv = { "qrdl", "list", "--phone-number", "8615800000000", "--output",
            fmt == "raw" and "tsv" or fmt }
          if fmt == "raw" then
            argv[#argv + 1] = "--query"
            argv[#argv + 1] = "1.PrefilledMessage"
          end
          local ok, status, _, out = pcall(run, argv)
          term.isatty = ok and term.isatty or isatty
          assert(ok, status)
          assert.equals(0, status)
          outputs[fmt .. tostring(tty)] = out
          if tty then assert_printable(out) end
        end
      end
      term.isatty = isatty
      -- in a pipe the message as it is (JSON and cells escape what their formats must)
      assert.equals("hi\27]0;owned\7 \194\155" .. "2J \226\128\174\nbye\n", outputs.rawfalse)
      assert.truthy(outputs.jsonfalse:find("\194\155", 1, true))
      -- on a terminal, escaped; the raw text keeps its line break
      assert.equals("hi\\x1B]0;owned\\x07 \\u009B2J \\u202E\nbye\n", outputs.rawtrue)
      assert.truthy(outputs.jsontrue:find("\\u009B2J \\u202E", 1, true), outputs.jsontrue)
      assert.truthy(outputs.tabletrue:find("\\u009B2J", 1, true), outputs.tabletrue)
    end)

    it("escapes the new code and link an update answers", function()
      answer = { 200, '{"Code":"OK","RequestId":"R1","Data":{"QrdlCode":"NEW\\u001b[5m",'
        .. '"DeepLinkUrl":"https://wa.me/\\u001b]8;;https://evil.test\\u0007x"}}' }
      local status, err = run{ "qrdl", "update", "--phone-number", "8615800000000", "--qrdl-code", "OLD",
        "--prefilled-message", "m", "--generate-qr-image", "SVG", "--yes" }
      assert.equals(0, status, err)
      assert_printable(err)
      assert.truthy(err:find("the QR code is now NEW\\x1B[5m (https://wa.me/\\x1B]8;;https://evil.test"
        .. "\\x07x); the old code OLD no longer opens the chat", 1, true), err)
    end)
  end)

  describe("the core's file helpers", function()
    local core = require "cams.core"
    local dir
    setup(function() dir = util.tmpdir("cli-files") end)
    teardown(function() util.remove_tmpdir(dir) end)

    it("file_id names a file, whatever the path or link leading to it", function()
      write_file(dir .. "/a", "a")
      write_file(dir .. "/b", "b")
      assert(util.run("cd " .. q(dir) .. " && ln -s a soft && ln a hard"))
      local id = core.file_id(dir .. "/a")
      assert.matches("^%d+:%d+$", id)
      for _, name in ipairs{ "/./a", "/soft", "/hard", "/../" .. dir:match("[^/]+$") .. "/a" } do
        assert.equals(id, core.file_id(dir .. name), name)
      end
      assert.are_not.equal(id, core.file_id(dir .. "/b"))
      local none, why = core.file_id(dir .. "/missing")
      assert.is_nil(none)
      assert.equals("No such file or directory", why)
    end)

    it("lock_file holds one exclusive lock per file until it is released or collected", function()
      local path = dir .. "/lock"
      local first = assert(core.lock_file(path))
      assert.truthy(util.exists(path)) -- created when missing
      local second, why, busy = core.lock_file(path)
      assert.is_nil(second)
      assert.is_string(why)
      assert.equals("busy", busy)
      first:release()
      first:release() -- twice is harmless
      assert(core.lock_file(path)) -- a lock no one keeps: released when collected
      collectgarbage()
      collectgarbage()
      assert.truthy(core.lock_file(path))
      local none, reason, held = core.lock_file(dir .. "/no/such/folder/lock")
      assert.is_nil(none)
      assert.equals("No such file or directory", reason)
      assert.is_nil(held)
    end)
  end)
end)
