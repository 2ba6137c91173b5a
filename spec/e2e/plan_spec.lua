-- QR codes as code against the mock CAMS server: `cams qrdl export`, `plan`, `apply` run
-- as subprocesses, and client:plan / client:apply in-process, with codes replaced on
-- update (what the CAMS document shows) and kept.
local mock_client = require "spec.support.mock_client"
local util = require "spec.support.util"
local socket = require "socket"
local cjson = require "cjson"

local read_file, write_file = util.read_file, util.write_file
local A, B = "8615800000011", "8615800000012"

describe("QR codes as code", function()
  local m, client = mock_client.use({ qps = false })
  local dir

  setup(function() dir = util.tmpdir("plan") end)
  teardown(function() util.remove_tmpdir(dir) end)

  local function cams(args) return mock_client.cams(m, dir, args) end

  -- 2 numbers, 5 codes
  local function seed()
    m:phone_numbers{ A, B }
    m:seed(A, { "SPRING01", "SUMMER01", "AUTUMN01" }, "Hi from the shop", "PNG")
    m:seed(B, { "DESK0001", "OLDDESK1" }, "Front desk", "SVG")
  end

  local function count(s, part)
    local n, at = 0, 1
    while true do
      local i = s:find(part, at, true)
      if not i then return n end
      n, at = n + 1, i + #part
    end
  end

  local function live(phone)
    local out = {}
    for _, c in ipairs(m:codes(phone)) do out[c.QrdlCode] = c.PrefilledMessage end
    return out
  end

  for _, mode in ipairs(mock_client.MODES) do
    describe("(" .. mode.name .. ")", function()
      before_each(function() m:keep_codes(mode.keep) end)

      it("export, edit, plan (exit 2: 3 changes, 2 retired codes), apply --yes, plan (exit 0)",
        function()
        seed()
        local file = dir .. "/codes-" .. tostring(mode.keep) .. ".yaml"
        local status, _, err = cams{ "qrdl", "export", "--all-numbers", "--output-file", file }
        assert.equals(0, status, err)
        assert.matches("exported 5 QR codes of 2 phone numbers", err)
        local text = read_file(file)
        assert.equals(5, count(text, "- name:"))
        status, _, err = cams{ "qrdl", "plan", file, "--detailed-exitcode" }
        assert.equals(0, status, err)

        -- the edit: summer's message changes, a new entry, and B prunes its old desk code
        text = text:gsub('(name: "code%-summer01"\n%s+message: )"Hi from the shop"',
          '%1"Summer sale: 20%% off"')
        text = text:gsub('\n      %- name: "code%-olddesk1"\n[^\n]*\n[^\n]*', "")
        text = text:gsub('(phone_number: "' .. B .. '"\n%s+prune: )false', "%1true")
        text = text:gsub('(phone_number: "' .. A .. '"\n%s+prune: false\n%s+codes:\n)',
          '%1      - name: window-winter\n        message: "Winter hours: 9-17"\n'
          .. '        image: SVG\n')
        write_file(file, text)

        local out
        status, out, err = cams{ "qrdl", "plan", file, "--detailed-exitcode" }
        assert.equals(2, status, err)
        assert.equals(3, count(out, "\n  + ") + count(out, "\n  ~ ") + count(out, "\n  - "))
        assert.truthy(out:find("  + create " .. A .. " window-winter", 1, true), out)
        assert.truthy(out:find("  ~ update " .. A .. " code-summer01 code SUMMER01", 1, true), out)
        assert.truthy(out:find("  - delete " .. B .. " code-olddesk1 code OLDDESK1", 1, true), out)
        assert.truthy(out:find('"Hi from the shop" -> "Summer sale: 20% off"', 1, true), out)
        assert.equals(2, count(out, "! retires printed code"))
        assert.truthy(out:find("1 to create, 1 to update, 1 to delete; 2 printed codes will stop "
          .. "working", 1, true), out)

        local before = m:request_count()
        status, out, err = cams{ "qrdl", "apply", file, "--yes" }
        assert.equals(0, status, err)
        assert.truthy(err:find("Printed copies of the codes SUMMER01, OLDDESK1 will no longer "
          .. "open the chat", 1, true), err)
        assert.matches("3 of 3 changes made", err)
        assert.equals(before + 2 + 1 + 1 + 1 + 1, m:request_count()) -- lists, create (+list), update, delete
        local a, b = live(A), live(B)
        assert.is_nil(b.OLDDESK1)
        assert.equals("Front desk", b.DESK0001)
        assert.equals(mode.keep, a.SUMMER01 ~= nil)
        local state = cjson.decode(read_file(file .. ".state.json"))
        local summer = state.numbers[A]["code-summer01"].qrdl_code
        assert.equals("Summer sale: 20% off", a[summer])
        assert.equals("Winter hours: 9-17", a[state.numbers[A]["window-winter"].qrdl_code])
        assert.truthy(out:find("window-winter code " .. state.numbers[A]["window-winter"].qrdl_code
          .. " https://wa.me/message/", 1, true), out)
        assert.is_nil(read_file(file .. ".state.json.journal"))

        status, out, err = cams{ "qrdl", "plan", file, "--detailed-exitcode" }
        assert.equals(0, status, err .. out)
        assert.matches("No changes", out)
      end)

      it("client:plan adopts, creates and updates; apply keeps the state; a stopped apply "
        .. "resumes", function()
        m:seed(A, { "ADOPT001", "OTHER001" }, "Hello", "PNG")
        local c = client()
        local desired = { numbers = { { phone_number = A, codes = {
          { name = "hello", message = "Hello", image = "PNG" },
          { name = "new-1", message = "New one", image = "SVG" },
          { name = "new-2", message = "New two" },
        } } } }
        local plan = assert(c:plan(desired))
        assert.same({ create = 2, update = 0, delete = 0, retired = 0 }, plan.summary)
        assert.equals("ADOPT001", plan.bindings[1].qrdl_code)
        assert.is_true(plan.bindings[1].adopted)
        assert.equals("unclaimed", plan.drift[1].kind)
        assert.equals("OTHER001", plan.drift[1].qrdl_code)
        assert.is_false(plan.drift[1].deleted)
        local seen = {}
        local results, summary, state = c:apply(plan, {
          on_change = function(i, change, res) seen[#seen + 1] = { i, change.name, res.Code }
            return false end,
        })
        assert.is_true(summary.stopped)
        assert.same({ { 1, "new-1", "OK" } }, seen)
        assert.is_nil(results[2])
        assert.is_string(state.numbers[A]["new-1"].qrdl_code)
        assert.is_nil(state.numbers[A]["new-2"])
        -- resumed: change 1 skipped, the rest made
        local _, summary2 = c:apply(plan, { state = state, skip = function(i) return i == 1 end })
        assert.equals(1, summary2.succeeded)
        assert.equals(1, summary2.skipped)
        assert.equals(4, #m:codes(A))
        local again = assert(c:plan(desired, state))
        assert.same({}, again.changes)
        -- the update of an entry, then its state follows the new code
        desired.numbers[1].codes[1].message = "Hello again"
        plan = assert(c:plan(desired, state))
        assert.equals("update", plan.changes[1].action)
        assert.equals("ADOPT001", plan.changes[1].retires)
        local r = c:apply(plan, { state = state })
        assert.equals(mode.keep, r[1].qrdl_code == "ADOPT001")
        assert.equals(r[1].qrdl_code, state.numbers[A].hello.qrdl_code)
        assert.same({}, assert(c:plan(desired, state)).changes)
      end)

      it("shows drift both ways: a state entry whose code is gone, a code no entry claims",
        function()
        local file = dir .. "/drift.json"
        write_file(file, cjson.encode{ numbers = { { phone_number = A, codes = {
          { name = "kept", message = "Kept", image = "PNG" } } } } })
        m:seed(A, { "STRAY001" }, "Stray", "PNG")
        write_file(file .. ".state.json", cjson.encode{ kind = "cams qrdl state",
          numbers = { [A] = { kept = { qrdl_code = "VANISHED", message = "Kept", image = "PNG" } } } })
        local status, out, err = cams{ "qrdl", "plan", file }
        assert.equals(0, status, err)
        assert.truthy(out:find(A .. " kept: its code VANISHED is gone from the server", 1, true), out)
        assert.truthy(out:find("live code STRAY001", 1, true), out)
        assert.truthy(out:find("claimed by no entry: kept", 1, true), out)
        assert.truthy(out:find("+ create " .. A .. " kept", 1, true), out)
        status, out = cams{ "--output", "json", "qrdl", "plan", file }
        assert.equals(0, status)
        local changes = cjson.decode(out)
        assert.equals(1, #changes)
        assert.equals("create", changes[1].action)
        assert.equals(A, changes[1].phone_number)
        assert.equals("kept", changes[1].name)
        assert.same({ message = "Kept", image = "PNG" }, changes[1].after)
      end)

      it("refuses a saved plan the server no longer matches, applies a current one", function()
        seed()
        local file = dir .. "/saved.yaml"
        write_file(file, "numbers:\n  - phone_number: '" .. B .. "'\n    prune: true\n"
          .. "    codes:\n      - name: desk\n        message: Front desk\n        image: SVG\n")
        local planfile = dir .. "/saved.plan.json"
        local status, out, err = cams{ "qrdl", "plan", file, "--out", planfile }
        assert.equals(0, status, err)
        assert.matches("Saved the plan", out)
        -- someone changes the codes behind the plan's back
        assert(client():update_qrdl{ phone_number = B, qrdl_code = "OLDDESK1",
          prefilled_message = "Changed", generate_qr_image = "PNG" })
        local before = m:request_count()
        status, _, err = cams{ "qrdl", "apply", planfile, "--yes" }
        assert.equals(1, status)
        assert.matches("no longer matches the saved plan", err)
        assert.equals(before + 1, m:request_count()) -- the one list, no change
        status = cams{ "qrdl", "plan", file, "--out", planfile }
        assert.equals(0, status)
        status, _, err = cams{ "qrdl", "apply", planfile, "--yes" }
        assert.equals(0, status, err)
        assert.equals(1, #m:codes(B))
        status, out = cams{ "qrdl", "plan", file, "--detailed-exitcode" }
        assert.equals(0, status, out)
      end)

      it("resumes an apply killed while a change was in flight, making it once", function()
        local file = dir .. "/killed-" .. tostring(mode.keep) .. ".yaml"
        write_file(file, "numbers:\n  - phone_number: '" .. A .. "'\n    codes:\n"
          .. "      - {name: one, message: One}\n      - {name: two, message: Two}\n"
          .. "      - {name: three, message: Three}\n")
        local journal = file .. ".state.json.journal"
        m:lose_answers{ how = "timeout", at = { 2 }, seconds = 4 }
        local apply = { "--timeout", "60", "qrdl", "apply", file, "--yes" }
        local pid = tonumber(util.output(mock_client.cams_command(m, dir, apply)
          .. " >/dev/null 2>/dev/null </dev/null & echo $!"))
        local deadline = socket.gettime() + 30
        while not (read_file(journal) or ""):find('"row":2,"status":"sending"', 1, true) do
          assert.is_true(socket.gettime() < deadline, "the apply made no progress")
          socket.sleep(0.01)
        end
        while #m:codes(A) < 2 do -- made on the server, its answer held back
          assert.is_true(socket.gettime() < deadline, "the change in flight was not made")
          socket.sleep(0.01)
        end
        os.execute("kill -9 " .. pid)
        m:lose_answers{ how = "off" }
        m:await_answers()
        local status, _, err = cams{ "qrdl", "apply", file, "--yes" }
        assert.equals(2, status)
        assert.matches("pass %-%-resume", err)
        local out
        status, out, err = cams{ "qrdl", "apply", file, "--yes", "--resume" }
        assert.equals(0, status, err)
        assert.matches("1 of 3 changes made before", err)
        assert.matches("3 of 3 changes made", err)
        assert.truthy(out:find("created " .. A .. " three", 1, true), out)
        local codes = m:codes(A)
        assert.equals(3, #codes) -- the change in flight was made once
        status = cams{ "qrdl", "plan", file, "--detailed-exitcode" }
        assert.equals(0, status)
      end)
    end)
  end

  describe("bad files: a clear error with the line or entry, nothing sent", function()
    local cases = {
      { "typo.yaml", "numbers:\n  - phone_number: '" .. A .. "'\n    codes:\n      - name: a\n"
        .. "        mesage: Hi\n", "typo.yaml:5: unknown key 'mesage' in numbers[1].codes[1]; "
        .. "did you mean 'message'?" },
      { "dup.yaml", "numbers:\n  - phone_number: '" .. A .. "'\n    codes:\n"
        .. "      - {name: a, message: Hi}\n      - {name: a, message: Ho}\n",
        "dup.yaml:5: numbers[1].codes[2].name 'a' is given twice for " .. A },
      { "image.json", '{"numbers":[{"phone_number":"' .. A .. '","codes":[{"name":"a",'
        .. '"message":"Hi","image":"GIF"}]}]}', "numbers[1].codes[1].image must be PNG or SVG" },
      { "twice.yaml", "numbers:\n  - phone_number: '" .. A .. "'\n  - phone_number: '" .. A
        .. "'\n", "twice.yaml:3: numbers[2].phone_number " .. A .. " is given twice" },
      { "prune.yaml", "numbers:\n  - phone_number: '" .. A .. "'\n    prnue: true\n",
        "did you mean 'prune'?" },
      { "broken.json", '{"numbers": [', "broken.json:1:" },
      { "list.csv", "phone_number\n", "CSV is an inventory" },
    }
    for _, case in ipairs(cases) do
      it(case[1], function()
        local file = dir .. "/" .. case[1]
        write_file(file, case[2])
        for _, args in ipairs{ { "qrdl", "plan", file }, { "qrdl", "apply", file, "--yes" } } do
          local status, _, err = cams(args)
          assert.equals(2, status, err)
          assert.truthy(err:find(case[3], 1, true), err)
        end
        assert.equals(0, m:request_count())
      end)
    end
  end)

  it("exports CSV, JSON and a printable HTML sheet holding every code", function()
    seed()
    local status, out, err = cams{ "qrdl", "export", "--phone-number", A, "--phone-number", B,
      "--format", "csv" }
    assert.equals(0, status, err)
    assert.equals(6, #util.lines(out))
    local json_file = dir .. "/export.json"
    status = cams{ "qrdl", "export", "--phone-number", B, "--output-file", json_file }
    assert.equals(0, status)
    assert.equals(2, #cjson.decode(read_file(json_file)).numbers[1].codes)
    status = cams{ "qrdl", "plan", json_file, "--detailed-exitcode" }
    assert.equals(0, status)
    local html_file = dir .. "/sheet.html"
    status, out, err = cams{ "qrdl", "export", "--all-numbers", "--output-file", html_file }
    assert.equals(0, status, err)
    assert.equals("", out)
    assert.is_nil(read_file(html_file .. ".state.json"))
    local html = read_file(html_file)
    for _, code in ipairs{ "SPRING01", "SUMMER01", "AUTUMN01", "DESK0001", "OLDDESK1" } do
      assert.truthy(html:find('<div class="id">' .. code .. "</div>", 1, true), code)
      assert.truthy(html:find("https://wa.me/message/" .. code, 1, true), code)
    end
    assert.equals(5, count(html, "<svg"))
    -- as printed: Chromium draws the page, and every code on it opens its own chat
    local links = {}
    for _, code in ipairs{ "AUTUMN01", "DESK0001", "OLDDESK1", "SPRING01", "SUMMER01" } do
      links[#links + 1] = "https://wa.me/message/" .. code
    end
    assert.same(links, require("spec.support.qr_read").page(html_file, dir))
    status, out, err = cams{ "qrdl", "export", "--phone-number", A, "--phone-number", A }
    assert.equals("", out)
    assert.equals(2, status)
    assert.matches("given twice", err)
  end)
end)
