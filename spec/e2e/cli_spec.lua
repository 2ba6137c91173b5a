-- The `cams` command line, run as a subprocess (with the interpreter running this suite)
-- against the mock CAMS server. Its pieces (CSV, input rows, output formats) are tested
-- in-process in spec/unit/cli_spec.lua.
local mock_client = require "spec.support.mock_client"
local util = require "spec.support.util"
local socket = require "socket"
local cjson = require "cjson"

local unpack = table.unpack or unpack
local PHONE = "8615800000004"
local q, read_file, write_file = util.q, util.read_file, util.write_file
local stdout_of, lines_of = util.output, util.lines

-- script(1) runs a command on a pseudo-terminal (util-linux; skipped where missing)
local HAS_SCRIPT = util.capture("command -v script || true") ~= ""

describe("cams command line", function()
  local m = mock_client.use()
  local dir

  setup(function() dir = util.tmpdir("cli") end)
  teardown(function() util.remove_tmpdir(dir) end)
  after_each(function() m:config{ qps = 0, serve_images = 0 } end)

  -- The command line `cams <args>`: env holds variables to set on top of the mock's.
  local function command(args, env) return mock_client.cams_command(m, dir, args, env) end

  -- Runs cams; returns exit status, stdout, stderr.
  local function cams(args, opts) return mock_client.cams(m, dir, args, opts) end

  local function create(message)
    local status, out, err = cams{ "--query", "Data.QrdlCode", "--output", "tsv", "qrdl",
      "create", "--phone-number", PHONE, "--prefilled-message", message or "Hi",
      "--generate-qr-image", "SVG" }
    assert.equals(0, status, err)
    return (out:gsub("%s+$", ""))
  end

  describe("help", function()
    for _, args in ipairs{ {}, { "qrdl" }, { "qrdl", "create" }, { "qrdl", "update" },
        { "qrdl", "list" }, { "qrdl", "delete" }, { "qrdl", "update-batch" }, { "call" } } do
      it("cams " .. table.concat(args, " ") .. " --help", function()
        local a = { unpack(args) }
        a[#a + 1] = "--help"
        local status, out = cams(a)
        assert.equals(0, status)
        assert.matches("Usage: cams", out)
        if args[2] == "update" or args[2] == "update-batch" or args[2] == "delete" then
          assert.matches("printed copies of it will no longer open the chat", out)
        end
      end)
    end

    it("names every credential source of the chain", function()
      local _, out = cams{ "--help" }
      out = out:gsub("%s+", " ")
      for _, source in ipairs{ "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_SECURITY_TOKEN",
          "ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "~/.aliyun/config.json",
          "ALIBABA_CLOUD_PROFILE", "~/.alibabacloud/credentials", "ECS RAM role" } do
        assert.truthy(out:find(source, 1, true), source)
      end
    end)

    it("cams --version prints the version of lua-cams", function()
      local status, out = cams{ "--version" }
      assert.equals(0, status)
      assert.equals("cams " .. require("cams").VERSION .. "\n", out)
      assert.equals(0, m:request_count())
    end)
  end)

  describe("usage errors exit with 2 and send nothing", function()
    local cases = {
      { {}, "a command is required" },
      { { "qrdl" }, "a command is required" },
      { { "qrdl", "frobnicate" }, "unknown command" },
      { { "qrdl", "list" }, "missing option '--phone-number'" },
      { { "--nope", "qrdl", "list", "--phone-number", PHONE }, "unknown option" },
      { { "--output", "xml", "qrdl", "list", "--phone-number", PHONE }, "output" },
      { { "--timeout", "0", "qrdl", "list", "--phone-number", PHONE }, "positive number" },
      { { "--region", "Not A Region", "qrdl", "list", "--phone-number", PHONE }, "region" },
      { { "qrdl", "create", "--phone-number", PHONE, "--prefilled-message", "x",
          "--generate-qr-image", "svg" }, "case-sensitive" },
      { { "qrdl", "update", "--phone-number", PHONE, "--qrdl-code", "C", "--prefilled-message",
          "x", "--generate-qr-image", "GIF", "--yes" }, "generate_qr_image" },
      { { "call", "ListPhoneMessageQrdl", "PhoneNumber" }, "Key=Value" },
      { { "call", "ListPhoneMessageQrdl", "Signature=x" }, "set by the library" },
    }
    for _, case in ipairs(cases) do
      it(table.concat(case[1], " "), function()
        local status, _, err = cams(case[1])
        assert.equals(2, status, err)
        assert.truthy(err:find(case[2], 1, true), err)
        assert.equals(0, m:request_count())
      end)
    end
  end)

  for _, mode in ipairs(mock_client.MODES) do
    it("creates, lists, updates and deletes a QR code (" .. mode.name .. ")", function()
      m:keep_codes(mode.keep)
      local code = create("First")
      assert.matches("^%w+$", code)
      assert.same({ { QrdlCode = code, GenerateQrImage = "SVG", PrefilledMessage = "First" } },
                  m:codes(PHONE))

      local status, out, err = cams{ "qrdl", "list", "--phone-number", PHONE }
      assert.equals(0, status, err)
      local list = cjson.decode(out)
      assert.equals(1, #list)
      assert.equals(code, list[1].QrdlCode)

      status, out, err = cams{ "qrdl", "update", "--phone-number", PHONE, "--qrdl-code", code,
        "--prefilled-message", "Line 1\nLine 2", "--generate-qr-image", "PNG", "--yes" }
      assert.equals(0, status, err)
      assert.matches("printed copies of it will no longer open the chat", err)
      local data = cjson.decode(out).Data
      assert.equals("Line 1\nLine 2", data.PrefilledMessage)
      assert.same({ { QrdlCode = data.QrdlCode, GenerateQrImage = "PNG",
                      PrefilledMessage = "Line 1\nLine 2" } }, m:codes(PHONE))
      local live = data.QrdlCode
      if mode.keep then
        assert.equals(code, live)
        assert.is_nil(err:find("is now", 1, true))
      else -- said on stderr: which code is live, and that the old one stopped working
        assert.are_not.equal(code, live)
        assert.truthy(err:find("the QR code is now " .. live .. " (https://wa.me/message/" .. live
          .. "); the old code " .. code .. " no longer opens the chat", 1, true), err)
      end

      status, out, err = cams{ "qrdl", "delete", "--phone-number", PHONE, "--qrdl-code", live, "-y" }
      assert.equals(0, status, err)
      assert.equals("OK", cjson.decode(out).Code)
      assert.same({}, m:codes(PHONE))
      status, out = cams{ "qrdl", "list", "--phone-number", PHONE }
      assert.equals(0, status)
      assert.equals("[]\n", out)
    end)
  end

  it("prints results as json, table or tsv and picks fields with --query", function()
    local a, b = create("alpha"), create("beta, with\ttab")
    local status, out, err = cams{ "--output", "tsv", "qrdl", "list", "--phone-number", PHONE }
    assert.equals(0, status, err)
    local rows = lines_of(out)
    assert.equals(3, #rows)
    assert.equals("QrdlCode\tPhoneNumber\tGenerateQrImage\tPrefilledMessage\tDeepLinkUrl\tQrImageUrl",
                  rows[1])
    assert.matches("^" .. a .. "\t" .. PHONE .. "\tSVG\talpha\t", rows[2])
    assert.equals(1, rows[3]:find(b .. "\t" .. PHONE .. "\tSVG\tbeta, with\\ttab\t", 1, true))

    status, out = cams{ "qrdl", "list", "--phone-number", PHONE, "--output", "table" }
    assert.equals(0, status)
    rows = lines_of(out)
    assert.matches("^QrdlCode%s+PhoneNumber%s+GenerateQrImage%s+PrefilledMessage", rows[1])
    local col = rows[1]:find("PhoneNumber", 1, true)
    assert.equals(PHONE, rows[2]:sub(col, col + #PHONE - 1))
    assert.equals(PHONE, rows[3]:sub(col, col + #PHONE - 1))

    status, out = cams{ "qrdl", "list", "--phone-number", PHONE, "--query", "2.PrefilledMessage" }
    assert.equals(0, status)
    assert.equals('"beta, with\\ttab"\n', out)
    status, out = cams{ "--output", "table", "call", "ListPhoneMessageQrdl", "PhoneNumber=" .. PHONE,
      "--query", "Data.1.QrdlCode" }
    assert.equals(0, status)
    assert.equals(a .. "\n", out)

    status, out = cams{ "--output", "table", "qrdl", "update", "--phone-number", PHONE,
      "--qrdl-code", a, "--prefilled-message", "new", "--generate-qr-image", "SVG", "--yes" }
    assert.equals(0, status)
    assert.matches("\nData%.PrefilledMessage%s+new\n", out)
    assert.matches("\nCode%s+OK\n", out)

    status, out, err = cams{ "qrdl", "list", "--phone-number", PHONE, "--query", "1.Nope" }
    assert.equals(1, status)
    assert.equals("", out)
    assert.matches("no field 'Nope'", err)
  end)

  it("calls any action with Key=Value parameters", function()
    local code = create("c")
    local status, out, err = cams{ "call", "DeletePhoneMessageQrdl", "PhoneNumber=" .. PHONE,
      "QrdlCode=" .. code, "--api-version", "2020-06-06" }
    assert.equals(0, status, err)
    assert.equals("OK", cjson.decode(out).Code)
    assert.same({}, m:codes(PHONE))
    status, out, err = cams{ "call", "NoSuchAction", "PhoneNumber=" .. PHONE }
    assert.equals("", out)
    assert.equals(1, status)
    assert.matches("InvalidAction.NotFound", err)
  end)

  describe("--dry-run", function()
    local TOKEN = "ststoken"
    local sts = { ALIBABA_CLOUD_ACCESS_KEY_ID = "stsid", ALIBABA_CLOUD_ACCESS_KEY_SECRET = "stssecret",
                  ALIBABA_CLOUD_SECURITY_TOKEN = TOKEN }

    it("prints the signed V3 request with the secrets hidden and sends nothing", function()
      local status, out, err = cams({ "--dry-run", "qrdl", "update", "--phone-number", PHONE,
        "--qrdl-code", "C1", "--prefilled-message", "Hello there", "--generate-qr-image", "SVG" },
        { env = sts })
      assert.equals(0, status, err)
      local l = lines_of(out)
      assert.equals("POST " .. m.endpoint .. "/", l[1])
      assert.matches("\nauthorization: ACS3%-HMAC%-SHA256 Credential=stsid,SignedHeaders=[%w;%-]+,"
        .. "Signature=<redacted>\n", out)
      assert.matches("\nx%-acs%-security%-token: <redacted>\n", out)
      assert.matches("\nx%-acs%-action: UpdatePhoneMessageQrdl\n", out)
      assert.matches("\n\nGenerateQrImage=SVG&PhoneNumber=" .. PHONE
        .. "&PrefilledMessage=Hello%%20there&QrdlCode=C1\n$", out)
      assert.is_nil(out:find(TOKEN, 1, true))
      assert.is_nil((out .. err):find("stssecret", 1, true))
      assert.is_nil(err:find("Continue?", 1, true)) -- never asks
      assert.equals(0, m:request_count())
    end)

    it("hides the V2 signature and token of the query string; JSON with --output json", function()
      local status, out = cams({ "--dry-run", "--signature", "v2", "--output", "json", "call",
        "ListPhoneMessageQrdl", "PhoneNumber=" .. PHONE }, { env = sts })
      assert.equals(0, status)
      local req = cjson.decode(out)
      assert.equals("POST", req.method)
      assert.matches("[?&]Signature=<redacted>", req.url)
      assert.matches("[?&]SecurityToken=<redacted>", req.url)
      assert.matches("[?&]Action=ListPhoneMessageQrdl", req.url)
      assert.equals("PhoneNumber=" .. PHONE, req.body)
      assert.is_nil(out:find(TOKEN, 1, true))
      assert.equals(0, m:request_count())
    end)
  end)

  it("--debug traces the exchange on stderr with the secrets hidden", function()
    local status, out, err = cams({ "--debug", "qrdl", "list", "--phone-number", PHONE },
      { env = { ALIBABA_CLOUD_ACCESS_KEY_ID = "stsid", ALIBABA_CLOUD_ACCESS_KEY_SECRET = "stssecret",
                ALIBABA_CLOUD_SECURITY_TOKEN = "ststoken" } })
    assert.equals(0, status, err)
    assert.equals("[]\n", out)
    assert.matches("> POST " .. m.endpoint:gsub("%p", "%%%0") .. "/\n", err)
    assert.matches("> authorization: [^\n]*Signature=<redacted>\n", err)
    assert.matches("< HTTP 200 %(", err)
    assert.matches('< {"AccessDeniedDetail"', err)
    assert.is_nil(err:find("ststoken", 1, true))
    assert.is_nil(err:find("stssecret", 1, true))
  end)

  describe("errors", function()
    it("exit 1 with code, message and request id for an API error", function()
      m:fail("Ram.PermissionDeny")
      local status, out, err = cams{ "qrdl", "list", "--phone-number", PHONE }
      assert.equals(1, status)
      assert.equals("", out)
      local rid = m:last_request().request_id
      assert.matches("Ram%.PermissionDeny: You are not authorized", err)
      assert.truthy(err:find("RequestId " .. rid, 1, true), err)
    end)

    it("exit 1 for a network error", function()
      local port = socket.bind("127.0.0.1", 0)
      local _, p = port:getsockname()
      port:close()
      local status, _, err = cams{ "--endpoint", "https://127.0.0.1:" .. p, "--retries", "0",
        "qrdl", "list", "--phone-number", PHONE }
      assert.equals(1, status)
      assert.matches("Transport%.Connect", err)
    end)

    it("exit 1 without credentials", function()
      local status, _, err = cams({ "qrdl", "list", "--phone-number", PHONE },
        { env = { ALIBABA_CLOUD_ACCESS_KEY_ID = "", ALIBABA_CLOUD_ACCESS_KEY_SECRET = "" } })
      assert.equals(1, status)
      assert.matches("MissingCredentials", err)
    end)

    it("accepts --ca-file and --endpoint and rejects a bad CA file", function()
      local status = cams({ "--endpoint", m.endpoint, "--ca-file", m.ca_file, "qrdl", "list",
        "--phone-number", PHONE }, { env = { ALIBABA_CLOUD_ENDPOINT = "", CAMS_CA_FILE = "" } })
      assert.equals(0, status)
      local out, err
      status, out, err = cams{ "--ca-file", dir .. "/missing.pem", "qrdl", "list",
        "--phone-number", PHONE }
      assert.equals("", out)
      assert.equals(2, status)
      assert.matches("ca_file is not readable", err)
    end)

    it("refuses a region that is not a region id with exit 2, before any request", function()
      for _, region in ipairs{ "-", "ap-", ("a"):rep(64) } do
        local status, out, err = cams({ "--region", region, "qrdl", "list", "--phone-number",
          PHONE }, { env = { ALIBABA_CLOUD_ENDPOINT = "" } })
        assert.equals(2, status, err)
        assert.equals("", out)
        assert.matches("is not a region id", err)
        assert.is_nil(err:find("traceback", 1, true), err)
      end
      assert.equals(0, m:request_count())
    end)

    it("shows a server's escape sequences as text, not to the terminal", function()
      m:fail("escapes")
      local status, _, err = cams{ "qrdl", "list", "--phone-number", PHONE }
      assert.equals(1, status)
      assert.matches("Bad\\x1B[2JCode", err, 1, true)
      assert.is_nil(err:find("\27", 1, true), err)
    end)

    it("--profile picks an aliyun CLI profile, and an unknown one is reported", function()
      local home = dir .. "/home"
      assert(util.run("mkdir -p " .. q(home .. "/.aliyun")))
      write_file(home .. "/.aliyun/config.json", '{"current":"other","profiles":[{"name":"other",'
        .. '"mode":"AK","access_key_id":"nosuchid","access_key_secret":"x"},{"name":"work",'
        .. '"mode":"AK","access_key_id":"testid","access_key_secret":"testsecret"}]}')
      local env = { HOME = home, ALIBABA_CLOUD_ACCESS_KEY_ID = "", ALIBABA_CLOUD_ACCESS_KEY_SECRET = "",
                    ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true" }
      local status, _, err = cams({ "--profile", "work", "qrdl", "list", "--phone-number", PHONE },
        { env = env })
      assert.equals(0, status, err)
      status, _, err = cams({ "--profile", "nosuchprofile", "qrdl", "list", "--phone-number", PHONE },
        { env = env })
      assert.equals(1, status)
      assert.matches("MissingCredentials", err)
      assert.matches("nosuchprofile", err)
      assert.is_nil(err:find("testsecret", 1, true))
    end)
  end)

  describe("confirmation", function()
    local update = { "qrdl", "update", "--phone-number", PHONE, "--qrdl-code", "C1",
      "--prefilled-message", "x", "--generate-qr-image", "SVG" }

    it("is refused without a terminal unless --yes is given", function()
      for _, args in ipairs{ update, { "qrdl", "delete", "--phone-number", PHONE, "--qrdl-code", "C1" } } do
        local status, out, err = cams(args)
        assert.equals(2, status)
        assert.equals("", out)
        assert.matches("no longer open the chat", err)
        assert.matches("standard input is not a terminal; pass %-%-yes", err)
      end
      assert.equals(0, m:request_count())
    end)

    if HAS_SCRIPT then
      it("is asked on a terminal", function()
        local function on_tty(answer)
          local cmd = "printf " .. q(answer .. "\\n") .. " | script -qec " .. q(command(update))
            .. " /dev/null >" .. q(dir .. "/tty.out") .. " 2>&1; echo $?"
          return tonumber(stdout_of(cmd):match("%d+")), read_file(dir .. "/tty.out")
        end
        local status, out = on_tty("n")
        assert.equals(2, status, out)
        assert.matches("Continue%? %[y/N%]", out)
        assert.equals(0, m:request_count())
        status, out = on_tty("y")
        assert.equals(0, status, out)
        assert.equals(1, m:request_count())
      end)
    end
  end)

  for _, mode in ipairs(mock_client.MODES) do
    describe("update-batch (" .. mode.name .. ")", function()
      before_each(function() m:keep_codes(mode.keep) end)
      local outer_dir -- each mode writes its files in a folder of its own
      setup(function()
        outer_dir, dir = dir, dir .. "/" .. (mode.keep and "kept" or "replaced")
        os.execute("mkdir -p " .. q(dir))
      end)
      teardown(function() dir = outer_dir end)
      local N = 200

      local function message(i)
        return ("Hello, row %d\n\"quoted\" line"):format(i)
      end

      -- a CSV of n rows, and their codes at the mock (what List shows: a lost answer is
      -- checked against them)
      local function write_csv(path, n)
        local out = { "phone_number,QrdlCode,prefilled_message,GenerateQrImage\r\n" }
        local codes = {}
        for i = 1, n do codes[i] = ("Q%04d"):format(i) end
        m:seed(PHONE, codes)
        for i = 1, n do
          out[#out + 1] = ('%s,Q%04d,"%s",%s\r\n'):format(PHONE, i, message(i):gsub('"', '""'),
            i % 2 == 0 and "PNG" or "SVG")
        end
        write_file(path, table.concat(out))
      end

      local function results_of(path)
        local recs = {}
        for _, l in ipairs(lines_of(read_file(path))) do recs[#recs + 1] = cjson.decode(l) end
        return recs
      end

      -- the live code of row i's result: the code it named, or (codes replaced) its successor
      local function check_live(i, rec)
        local named = ("Q%04d"):format(i)
        if mode.keep then
          assert.equals(named, rec.qrdl_code)
          assert.is_nil(rec.previous_qrdl_code)
        else
          assert.are_not.equal(named, rec.qrdl_code)
          assert.equals(named, rec.previous_qrdl_code)
        end
      end

      -- finished rows in a journal (not the "sending" notes before each row goes out)
      local function finished_lines(path)
        local n = 0
        for k, l in ipairs(lines_of(read_file(path))) do
          local ok, rec = pcall(cjson.decode, l)
          if k > 1 and ok and type(rec) == "table" and rec.status ~= "sending" then n = n + 1 end
        end
        return n
      end

      local function stored()
        local t, n = {}, 0
        for _, c in ipairs(m:codes(PHONE)) do t[c.QrdlCode] = c.PrefilledMessage; n = n + 1 end
        return t, n
      end

      it("paces 200 rows under the server's limit and reports failed rows", function()
        m:config{ qps = 180 } -- per second; the client sends at most 150 (unpaced: ~1000)
        local input = dir .. "/paced.csv"
        write_csv(input, N)
        m:fail("Ram.PermissionDeny", 3) -- the first three rows
        local status, out, err = cams{ "--qps", "150", "--retries", "0", "qrdl", "update-batch",
          input, "--yes", "--output-file", dir .. "/paced.out.csv", "--progress-interval", "0.5" }
        assert.equals(1, status, err)
        local summary = cjson.decode(out)
        assert.same({ rows = N, updated = N - 3, failed = 3, left = 0, images_failed = 0, resumed = 0,
                      output_file = dir .. "/paced.out.csv", journal = dir .. "/paced.out.csv.journal" },
                    summary)
        assert.matches("progress: 200/200 rows", err)
        assert.matches("200 rows: 197 updated, 3 failed, 0 left", err)

        local csv = require "cams.cli.csv"
        local records = assert(csv.parse(read_file(dir .. "/paced.out.csv")))
        local fields = { "row", "status", "phone_number", "qrdl_code", "previous_qrdl_code",
          "qr_image_url", "deep_link_url", "request_id", "reconciled", "error_code",
          "error_message", "image_file", "image_error" }
        assert.same(fields, { unpack(records[1]) })
        assert.equals(N + 1, #records)
        local codes, count = stored()
        for i = 1, N do
          local r = {}
          for k, name in ipairs(fields) do r[name] = records[i + 1][k] ~= "" and records[i + 1][k] or nil end
          assert.equals(tostring(i), r.row)
          assert.matches("^%x+%-", r.request_id)
          if i <= 3 then
            assert.equals("error", r.status)
            assert.equals(("Q%04d"):format(i), r.qrdl_code)
            assert.equals("Ram.PermissionDeny", r.error_code)
            assert.matches("not authorized", r.error_message)
            assert.equals("seeded", codes[r.qrdl_code]) -- unchanged
          else
            assert.equals("ok", r.status)
            check_live(i, r)
            assert.equals("https://wa.me/message/" .. r.qrdl_code, r.deep_link_url)
            assert.equals(message(i), codes[r.qrdl_code])
          end
        end
        assert.equals(N, count)
        assert.equals(N, m:request_count()) -- no retries, and none throttled

        -- the failed rows again
        status, out, err = cams{ "qrdl", "update-batch", input, "--yes", "--output-file",
          dir .. "/paced.out.csv", "--resume", "--retry-failed", "--output", "tsv", "--query", "updated" }
        assert.equals(0, status, err)
        assert.equals("200\n", out)
        assert.equals(N + 3, m:request_count())
        assert.matches("200 rows: 200 updated, 0 failed, 0 left %(197 done before this run%)", err)
      end)

      it("resumes a killed run without repeating or losing rows", function()
        local input = dir .. "/killed.csv"
        write_csv(input, N)
        local output = dir .. "/killed.jsonl"
        local journal = output .. ".journal"
        local args = { "--qps", "200", "qrdl", "update-batch", input, "--yes", "--output-file", output }
        local pid = tonumber(stdout_of(command(args) .. " >/dev/null 2>" .. q(dir .. "/killed.err")
          .. " </dev/null & echo $!"))
        assert.is_number(pid)
        local deadline = socket.gettime() + 20
        while finished_lines(journal) < N / 2 do
          assert.is_true(socket.gettime() < deadline, "the batch made no progress")
          socket.sleep(0.01)
        end
        os.execute("kill -9 " .. pid)
        while (read_file("/proc/" .. pid .. "/stat") or ""):match("%)%s+[^ZX]") do socket.sleep(0.01) end
        local at_kill = finished_lines(journal)
        assert.is_true(at_kill < N, "the batch finished before it was killed")
        assert.is_nil(read_file(output)) -- it never got to write the results

        local status, out, err = cams{ "qrdl", "update-batch", input, "--yes", "--output-file",
          output, "--resume", "--qps", "200" }
        assert.equals(0, status, err)
        local summary = cjson.decode(out)
        assert.equals(N, summary.updated)
        assert.is_true(summary.resumed >= at_kill)

        local recs = results_of(output)
        assert.equals(N, #recs)
        local codes, count = stored()
        for i, r in ipairs(recs) do
          assert.equals(i, r.row)
          assert.equals("ok", r.status)
          check_live(i, r)
          assert.equals(message(i), codes[r.qrdl_code]) -- the results name the live code
        end
        local per_row = {}
        for n, l in ipairs(lines_of(read_file(journal))) do
          local ok, rec = pcall(cjson.decode, l) -- a line cut short by the kill does not count
          if n > 1 and ok and rec.status ~= "sending" then
            per_row[rec.row] = (per_row[rec.row] or 0) + 1
          end
        end
        for i = 1, N do assert.equals(1, per_row[i]) end
        assert.equals(N, count) -- no orphan code
        -- the row in flight at the kill was checked (one list call), never updated twice
        local sent = m:request_count()
        assert.is_true(sent == N or sent == N + 1, sent .. " requests")
      end)

      it("stops cleanly on Ctrl-C (SIGINT), keeping every finished row", function()
        local input = dir .. "/sigint.csv"
        write_csv(input, 60)
        local output = dir .. "/sigint.jsonl"
        local journal = output .. ".journal"
        local pid_file, rc_file = dir .. "/sigint.pid", dir .. "/sigint.rc"
        os.remove(rc_file)
        local script = command{ "--qps", "100", "qrdl", "update-batch", input, "--yes",
          "--output-file", output } .. " >" .. q(dir .. "/sigint.out") .. " 2>" .. q(dir .. "/sigint.err")
          .. " </dev/null & echo $! >" .. q(pid_file) .. "; wait $!; echo $? >" .. q(rc_file)
        os.execute("sh -c " .. q(script) .. " >/dev/null 2>&1 </dev/null &")
        local deadline = socket.gettime() + 20
        while finished_lines(journal) < 10 do
          assert.is_true(socket.gettime() < deadline, "the batch made no progress")
          socket.sleep(0.01)
        end
        os.execute("kill -INT " .. assert(tonumber(read_file(pid_file))))
        while not read_file(rc_file) or read_file(rc_file) == "" do
          assert.is_true(socket.gettime() < deadline, "the batch did not stop")
          socket.sleep(0.01)
        end
        assert.equals(130, tonumber(read_file(rc_file)))
        local err = read_file(dir .. "/sigint.err")
        assert.matches("interrupted; 60 rows: %d+ updated", err)
        assert.matches("with %-%-resume to continue", err)
        local recs = results_of(output)
        assert.is_true(#recs >= 10 and #recs < 60, #recs .. " results")
        assert.equals(#recs, finished_lines(journal))
        assert.equals(#recs, cjson.decode(read_file(dir .. "/sigint.out")).updated)
        for i, r in ipairs(recs) do assert.equals(i, r.row) end

        local status, out = cams{ "qrdl", "update-batch", input, "--yes", "--output-file", output,
          "--resume", "--qps", "200", "--output", "tsv", "--query", "updated" }
        assert.equals(0, status)
        assert.equals("60\n", out)
        assert.equals(60, #results_of(output))
        local sent = m:request_count()
        assert.is_true(sent == 60 or sent == 61, sent .. " requests")
      end)

      it("reads JSON Lines, fills row options and saves the QR images", function()
        m:config{ serve_images = 1 }
        local input = dir .. "/images.jsonl"
        write_file(input, table.concat({
          '{"qrdl_code":"IMG1","prefilled_message":"one","generate_qr_image":"PNG"}',
          '',
          '{"QrdlCode":"IMG2","PrefilledMessage":"two\\nlines"}',
          '{"qrdl_code":"IMG3","prefilled_message":"three","generate_qr_image":null,"phone_number":8615800000005}',
        }, "\n"))
        local status, out, err = cams{ "qrdl", "update-batch", input, "--yes", "--phone-number", PHONE,
          "--generate-qr-image", "SVG", "--save-images", dir .. "/qr", "--output", "tsv",
          "--query", "updated" }
        assert.equals(0, status, err)
        assert.equals("3\n", out)
        local recs = results_of(dir .. "/images.results.jsonl")
        local live = {} -- each image is saved under its row's live code
        for i, r in ipairs(recs) do
          live[i] = r.qrdl_code
          assert.equals(mode.keep, r.qrdl_code == "IMG" .. i)
        end
        assert.equals("\137PNG", read_file(dir .. "/qr/" .. live[1] .. ".png"):sub(1, 4))
        assert.matches("^<svg", read_file(dir .. "/qr/" .. live[2] .. ".svg"))
        assert.matches("^<svg", read_file(dir .. "/qr/" .. live[3] .. ".svg"))
        assert.equals(3, m:image_count())
        local codes = stored()
        assert.equals("two\nlines", codes[live[2]])
        assert.equals("three", m:codes("8615800000005")[1].PrefilledMessage)
        assert.equals(dir .. "/qr/" .. live[1] .. ".png", recs[1].image_file)
      end)

      it("checks every row before sending anything", function()
        local input = dir .. "/bad.csv"
        write_file(input, "qrdl_code,prefilled_message,generate_qr_image,phone_number\n"
          .. "A,ok,SVG," .. PHONE .. "\nB,,SVG," .. PHONE .. "\nC,x,GIF," .. PHONE .. "\n")
        local status, _, err = cams{ "qrdl", "update-batch", input, "--yes" }
        assert.equals(2, status)
        assert.matches("row 2: [^\n]*prefilled_message", err)
        assert.matches("row 3: [^\n]*generate_qr_image", err)
        assert.matches("2 of 3 rows are not valid; nothing was sent", err)

        write_file(input, "qrdl_code,prefiled_message\nA,x\n")
        status, _, err = cams{ "qrdl", "update-batch", input, "--yes" }
        assert.equals(2, status)
        assert.matches("unknown column 'prefiled_message'; did you mean 'prefilled_message'%?", err)

        write_file(input, 'qrdl_code,prefilled_message\nA,"not closed\n')
        status, _, err = cams{ "qrdl", "update-batch", input, "--yes" }
        assert.equals(2, status)
        assert.matches("line 2: a quoted field is not closed", err)

        status, _, err = cams{ "qrdl", "update-batch", dir .. "/missing.csv", "--yes" }
        assert.equals(2, status)
        assert.matches("missing.csv", err)
        assert.equals(0, m:request_count())
      end)

      it("asks before updating, refuses a journal without --resume, prints requests on --dry-run",
        function()
          local input = dir .. "/small.csv"
          write_csv(input, 3)
          local status, out, err = cams{ "qrdl", "update-batch", input }
          assert.equals(2, status)
          assert.equals("", out)
          assert.matches("This updates 3 QR codes", err)
          assert.matches("pass %-%-yes", err)

          status, out, err = cams{ "--dry-run", "qrdl", "update-batch", input }
          assert.equals(0, status, err)
          local _, n = out:gsub("POST https://", "")
          assert.equals(3, n)
          assert.equals(3, select(2, out:gsub("Signature=<redacted>", "")))
          assert.is_nil(read_file(dir .. "/small.results.jsonl.journal"))
          assert.equals(0, m:request_count())

          status = cams{ "qrdl", "update-batch", input, "--yes" }
          assert.equals(0, status)
          assert.equals(3, m:request_count())
          status, _, err = cams{ "qrdl", "update-batch", input, "--yes" }
          assert.equals(2, status)
          assert.matches("pass %-%-resume to continue it", err)

          write_csv(input, 4)
          status, _, err = cams{ "qrdl", "update-batch", input, "--yes", "--resume" }
          assert.equals(2, status)
          assert.matches("belongs to a different input", err)
          assert.equals(3, m:request_count())
        end)

      if HAS_SCRIPT then
        it("redraws one progress line on a terminal", function()
          local input = dir .. "/tty.csv"
          write_csv(input, 5)
          local cmd = "script -qec " .. q(command{ "qrdl", "update-batch", input, "--yes" })
            .. " /dev/null </dev/null >" .. q(dir .. "/tty.out") .. " 2>&1; echo $?"
          assert.equals(0, tonumber(stdout_of(cmd):match("%d+")))
          local out = read_file(dir .. "/tty.out")
          assert.matches("\r5/5 rows  [%d.]+/s  ETA 0:00  0 failed\27%[K", out)
          assert.is_nil(out:find("progress:", 1, true))
          assert.equals(5, m:request_count())
        end)
      end

      it("stops after --max-failures failed rows, leaving the rest for --resume", function()
        local input = dir .. "/stop.csv"
        write_csv(input, 6)
        m:fail("Ram.PermissionDeny", 2)
        local status, out, err = cams{ "qrdl", "update-batch", input, "--yes", "--max-failures", "2",
          "--output", "tsv", "--query", "left" }
        assert.equals(1, status, err)
        assert.equals("4\n", out)
        assert.matches("with %-%-resume to continue", err)
        assert.equals(2, m:request_count())
        status = cams{ "qrdl", "update-batch", input, "--yes", "--resume" }
        assert.equals(1, status) -- the two failed rows stay failed
        assert.equals(6, m:request_count())
      end)
    end)
  end

  -- What update-batch reads and writes, whatever the codes do on update (kept here, so that
  -- the names of saved images are known in advance).
  describe("update-batch input and files", function()
    before_each(function() m:keep_codes(true) end)
    local folders = 0

    -- a new folder under dir for one test; its path relative to dir (where cams runs)
    local function folder()
      folders = folders + 1
      local name = "files" .. folders
      assert(util.run("mkdir -p " .. q(dir .. "/" .. name)))
      return name
    end

    -- a CSV of n rows (codes K001...) at dir/<path>, the codes seeded at the mock
    local function write_input(path, n)
      local lines, codes = { "phone_number,qrdl_code,prefilled_message,generate_qr_image" }, {}
      for i = 1, n do
        codes[i] = ("K%03d"):format(i)
        lines[#lines + 1] = ("%s,%s,message %d,SVG"):format(PHONE, codes[i], i)
      end
      m:seed(PHONE, codes)
      write_file(dir .. "/" .. path, table.concat(lines, "\n") .. "\n")
      return read_file(dir .. "/" .. path)
    end

    -- update-batch --yes with the arguments of every list given
    local function batch(...)
      local all = { "qrdl", "update-batch", "--yes" }
      for _, list in ipairs{ ... } do
        for _, a in ipairs(list) do all[#all + 1] = a end
      end
      return cams(all)
    end

    it("refuses a JSON Lines row that gives a field twice, before sending anything", function()
      local f = folder()
      write_file(dir .. "/" .. f .. "/in.jsonl", '{"phone_number":"' .. PHONE .. '","qrdl_code":"K001",'
        .. '"prefilled_message":"x","generate_qr_image":"SVG"}\n{"phone_number":"' .. PHONE
        .. '","qrdl_code":"K002","QrdlCode":"K003","prefilled_message":"y","generate_qr_image":"SVG"}\n')
      local status, out, err = batch{ f .. "/in.jsonl" }
      assert.equals(2, status, err)
      assert.equals("", out)
      assert.equals("cams: " .. f .. "/in.jsonl: line 2: qrdl_code is given twice (as qrdl_code and QrdlCode)\n", err)
      assert.equals(0, m:request_count())
    end)

    it("sends CSV values without the spaces around them, and JSON Lines after a BOM", function()
      local f = folder()
      m:seed(PHONE, { "K001", "K002", "K003" })
      write_file(dir .. "/" .. f .. "/a.csv", "qrdl_code,prefilled_message,generate_qr_image,phone_number\r\n"
        .. " K001 ,  spaced  out  , SVG ,\t" .. PHONE .. "\r\n")
      write_file(dir .. "/" .. f .. "/b.jsonl", '\239\187\191{"qrdl_code":"K002","prefilled_message":"two",'
        .. '"generate_qr_image":"PNG","phone_number":"' .. PHONE .. '"}\n{"qrdl_code":"K003 ",'
        .. '"prefilled_message":" three","generate_qr_image":"SVG","phone_number":' .. PHONE .. '}\n')
      for _, name in ipairs{ "a.csv", "b.jsonl" } do
        local status, _, err = batch{ f .. "/" .. name }
        assert.equals(0, status, err)
      end
      local sent = {}
      for _, r in ipairs(m:requests()) do
        sent[#sent + 1] = { r.params.QrdlCode, r.params.PrefilledMessage, r.params.GenerateQrImage,
                            r.params.PhoneNumber }
      end
      assert.same({ { "K001", "  spaced  out  ", "SVG", PHONE }, { "K002", "two", "PNG", PHONE },
                    { "K003", " three", "SVG", PHONE } }, sent)
    end)

    it("replaces an existing results file only with --overwrite or in a resumed run", function()
      local f = folder()
      local input, output = f .. "/in.csv", f .. "/out.csv"
      write_input(input, 2)
      write_file(dir .. "/" .. output, "earlier results\n")
      for _, extra in ipairs{ {}, { "--dry-run" }, { "--resume" } } do
        local status, out, err = batch({ input, "--output-file", output }, extra)
        assert.equals(2, status, err)
        assert.equals("", out)
        assert.equals("cams: " .. output .. " exists; pass --overwrite to replace it (or --resume with "
          .. "the journal of the run that wrote it); nothing was sent\n", err)
      end
      assert.equals("earlier results\n", read_file(dir .. "/" .. output))
      assert.equals(0, m:request_count())

      local status, _, err = batch{ input, "--output-file", output, "--overwrite" }
      assert.equals(0, status, err)
      assert.matches("^row,status,", read_file(dir .. "/" .. output))
      status, _, err = batch{ input, "--output-file", output, "--resume" } -- nothing left to send
      assert.equals(0, status, err)
      assert.matches("2 rows: 2 updated, 0 failed, 0 left %(2 done before this run%)", err)
      assert.equals(2, m:request_count())
    end)

    it("checks that every file it writes can be written before sending anything", function()
      local f = folder()
      local input = f .. "/in.csv"
      write_input(input, 2)
      assert(util.run("mkdir " .. q(dir .. "/" .. f .. "/adir")))
      local out, journal = f .. "/out.jsonl", f .. "/j"
      for _, case in ipairs{
        { { "--output-file", f .. "/missing/out.jsonl", "--journal", journal },
          "cannot write the results file " .. f .. "/missing/out.jsonl: " },
        { { "--output-file", f .. "/adir", "--overwrite", "--journal", journal },
          "cannot write the results file " .. f .. "/adir: " },
        { { "--output-file", out, "--journal", f .. "/missing/j" },
          "cannot write the journal " .. f .. "/missing/j: " },
        { { "--output-file", out, "--journal", journal, "--save-images", "/proc" },
          "cannot write in the folder /proc: " },
        { { "--output-file", out, "--journal", journal, "--save-images", input .. "/qr" },
          "cannot write in the folder " .. input .. "/qr: " },
      } do
        local status, stdout, err = batch({ input }, case[1])
        assert.equals(2, status, err)
        assert.equals("", stdout)
        assert.truthy(err:find("cams: " .. case[2], 1, true), err)
        assert.matches("; nothing was sent\n$", err)
        assert.is_nil(read_file(dir .. "/" .. out))
        assert.is_nil(read_file(dir .. "/" .. journal))
      end
      assert.equals(0, m:request_count())
    end)

    it("lets one run at a time use a journal: another is refused and sends nothing", function()
      local f = folder()
      local input, output = f .. "/in.csv", f .. "/out.jsonl"
      local N = 20
      write_input(input, N)
      local journal = dir .. "/" .. output .. ".journal"
      local rc_file = dir .. "/" .. f .. "/first.rc"
      -- the first run, slowed down by its rate limit (about 10 s)
      local first = command{ "--qps", "2", "qrdl", "update-batch", input, "--yes", "--output-file",
        output } .. " >/dev/null 2>" .. q(dir .. "/" .. f .. "/first.err") .. " </dev/null; echo $? >"
        .. q(rc_file)
      os.execute("sh -c " .. q(first) .. " >/dev/null 2>&1 </dev/null &")
      local deadline = socket.gettime() + 60
      local function finished()
        local n = 0
        for k, l in ipairs(lines_of(read_file(journal) or "")) do
          local ok, rec = pcall(cjson.decode, l)
          if k > 1 and ok and type(rec) == "table" and rec.status == "ok" then n = n + 1 end
        end
        return n
      end
      while finished() < 1 do
        assert.is_true(socket.gettime() < deadline, "the first run made no progress")
        socket.sleep(0.01)
      end
      for _, extra in ipairs{ { "--resume" }, {} } do
        local status, out, err = batch({ input, "--output-file", output, "--qps", "200" }, extra)
        assert.is_nil(read_file(rc_file), "the first run ended before the second was refused")
        assert.equals(2, status, err)
        assert.equals("", out)
        assert.equals("cams: " .. output .. ".journal is in use by another run of update-batch; "
          .. "wait for it to end; nothing was sent\n", err)
      end
      while not (read_file(rc_file) or ""):match("%d") do
        assert.is_true(socket.gettime() < deadline, "the first run did not end")
        socket.sleep(0.05)
      end
      assert.equals("0", read_file(rc_file):match("%d+"), read_file(dir .. "/" .. f .. "/first.err"))
      assert.equals(N, finished())
      assert.equals(N, m:request_count()) -- every row sent once, by the first run
    end)

    it("resumes from a journal with lines that are not records of the batch", function()
      local f = folder()
      local input = f .. "/in.csv"
      write_input(input, 3)
      m:fail("Ram.PermissionDeny", 1)
      local args = { input, "--retries", "0", "--output-file", f .. "/out.jsonl" }
      local status, _, err = batch(args, { "--max-failures", "1" })
      assert.equals(1, status, err)
      local journal = dir .. "/" .. f .. "/out.jsonl.journal"
      local text = read_file(journal)
      for _, line in ipairs{ '{"row":NaN,"status":"ok"}', '{"row":Infinity,"status":"ok"}',
          '{"row":1e300,"status":"ok"}', '{"row":-1,"status":"ok"}', '{"row":4,"status":"ok"}',
          '{"row":2.5,"status":"ok"}', '{"row":"2","status":"ok"}', '{"row":2}',
          '{"row":3,"status":"done"}', '{"row":3,"status":"ok","qrdl_code":{}}', '[3]' } do
        text = text .. line .. "\n"
      end
      write_file(journal, text)
      status, _, err = batch(args, { "--resume", "--retry-failed" })
      assert.equals(0, status, err)
      assert.matches("3 rows: 3 updated, 0 failed, 0 left %(0 done before this run%)", err)
      assert.equals(4, m:request_count()) -- the failed row, then every row once
    end)

    it("refuses an output file or journal that is the input or each other, under any name",
      function()
        local f = folder()
        local input = f .. "/codes.csv"
        local original = write_input(input, 2)
        assert(util.run("cd " .. q(dir .. "/" .. f) .. " && ln -s codes.csv soft.csv && ln codes.csv hard.csv"))
        for _, case in ipairs{
          { "--output-file", "./" .. input },
          { "--output-file", dir .. "/" .. input },
          { "--output-file", f .. "/soft.csv" },
          { "--output-file", f .. "/hard.csv" },
          { "--output-file", f .. "/out.csv", "--journal", f .. "/../" .. input },
          { "--output-file", f .. "/out.csv", "--journal", f .. "/soft.csv" },
          { "--output-file", f .. "/out.csv", "--journal", "./" .. f .. "/out.csv" },
          -- the temporary copy written before the results are renamed into place
          { "--output-file", f .. "/out.csv", "--journal", f .. "/out.csv.part" },
        } do
          local status, out, err = batch({ input }, case)
          assert.equals(2, status, table.concat(case, " ") .. ": " .. err)
          assert.equals("", out)
          assert.matches("are the same file; nothing was sent", err)
        end
        -- an input named like the results' temporary copy
        write_input(f .. "/r.csv.part", 2)
        local status, _, err = batch{ f .. "/r.csv.part", "--input-format", "csv", "--output-file",
          f .. "/r.csv" }
        assert.equals(2, status, err)
        assert.matches("the input file " .. f .. "/r.csv.part and the temporary copy of the results "
          .. "file " .. f .. "/r.csv.part are the same file", err)
        assert.equals(original, read_file(dir .. "/" .. input))
        assert.equals(0, m:request_count())
      end)

    it("downloads the QR images the way its calls go, never through ALL_PROXY", function()
      m:config{ serve_images = 1 }
      local f = folder()
      local input = f .. "/in.csv"
      write_input(input, 2)
      -- nothing listens there: an image fetched through it would fail
      local status, out, err = cams({ "--output", "tsv", "--query", "images_failed", "qrdl",
        "update-batch", input, "--yes", "--save-images", f .. "/qr" },
        { env = { ALL_PROXY = "http://127.0.0.1:1", all_proxy = "http://127.0.0.1:1" } })
      assert.equals(0, status, err)
      assert.equals("0\n", out)
      assert.equals(2, m:image_count())
      assert.matches("^<svg", read_file(dir .. "/" .. f .. "/qr/K001.svg"))
    end)

    it("never saves a QR image over the input, the results or the journal", function()
      m:config{ serve_images = 1 }
      local f = folder()
      -- an input whose name an image of the folder may take: refused before sending
      local original = write_input(f .. "/K001.svg", 2)
      local status, _, err = batch{ f .. "/K001.svg", "--input-format", "csv", "--output-file",
        f .. "/out.jsonl", "--save-images", f }
      assert.equals(2, status, err)
      assert.matches("the QR images saved in " .. f .. " may take the name of the input file "
        .. f .. "/K001.svg; nothing was sent", err)
      assert.equals(0, m:request_count())
      assert.equals(original, read_file(dir .. "/" .. f .. "/K001.svg"))

      -- the input reached through a link, its file in the images folder: that image is not
      -- saved (it would replace the input), the others are
      assert(util.run("mkdir " .. q(dir .. "/" .. f .. "/qr") .. " && mv " .. q(dir .. "/" .. f .. "/K001.svg")
        .. " " .. q(dir .. "/" .. f .. "/qr/K001.svg") .. " && ln -s qr/K001.svg " .. q(dir .. "/" .. f .. "/in.csv")))
      status, _, err = batch{ f .. "/in.csv", "--output-file", f .. "/out.jsonl", "--save-images", f .. "/qr" }
      assert.equals(1, status, err)
      assert.matches("1 image downloads failed", err)
      assert.equals(original, read_file(dir .. "/" .. f .. "/in.csv"))
      local recs = {}
      for _, l in ipairs(lines_of(read_file(dir .. "/" .. f .. "/out.jsonl"))) do recs[#recs + 1] = cjson.decode(l) end
      assert.equals("ok", recs[1].status)
      assert.matches("would replace the input file", recs[1].image_error)
      assert.is_nil(recs[1].image_file)
      assert.equals(f .. "/qr/K002.svg", recs[2].image_file)
      assert.matches("^<svg", read_file(dir .. "/" .. f .. "/qr/K002.svg"))
    end)
  end)
end)
