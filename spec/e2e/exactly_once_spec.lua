-- Every change made once, against the mock CAMS server that applies a change and then loses
-- its answer (a closed connection, no answer in time, a gateway's 502), in both ways an
-- update may treat its code: replaced (what the CAMS document shows) and kept.
local cjson = require "cjson"
local socket = require "socket"
local mock_client = require "spec.support.mock_client"
local util = require "spec.support.util"

local PHONE = "8615800000007"
local CAMS = util.capture("pwd") .. "/bin/cams"

for _, mode in ipairs(mock_client.MODES) do
  describe("exactly-once changes (" .. mode.name .. ")", function()
    local m, client = mock_client.use{ qps = false, timeout = 1, retry_base_delay = 0.01,
      retry_max_delay = 0.05 }
    before_each(function() m:keep_codes(mode.keep) end)

    -- The live codes of the number that carry `message`.
    local function live_with(message)
      local out = {}
      for _, c in ipairs(m:codes(PHONE)) do
        if c.PrefilledMessage == message then out[#out + 1] = c end
      end
      return out
    end

    local function create(c, message, opts)
      return c:create_qrdl({ phone_number = PHONE, prefilled_message = message,
        generate_qr_image = "PNG" }, opts)
    end

    for _, how in ipairs{ "close", "timeout", "bad_gateway" } do
      it("10 updates and 6 creates, every 3rd answer lost (" .. how .. "): each made once, "
          .. "each returning its live code", function()
        local c = client()
        local codes = {}
        for i = 1, 10 do codes[i] = assert(create(c, "start " .. i)).Data.QrdlCode end
        m:lose_answers{ how = how, every = 3, seconds = 1.2 }
        local reconciled = 0
        for i = 1, 10 do
          local res, err = c:update_qrdl{ phone_number = PHONE, qrdl_code = codes[i],
            prefilled_message = "updated " .. i, generate_qr_image = "SVG" }
          assert.is_nil(err)
          local live = live_with("updated " .. i)
          assert.equals(1, #live, "update " .. i)
          assert.equals(live[1].QrdlCode, res.Data.QrdlCode) -- the call returns the live code
          assert.equals(mode.keep, res.Data.QrdlCode == codes[i])
          if res.reconciled then reconciled = reconciled + 1 end
        end
        for i = 1, 6 do
          local res, err = create(c, "new " .. i)
          assert.is_nil(err)
          local live = live_with("new " .. i)
          assert.equals(1, #live, "create " .. i) -- no orphan from a repeat
          assert.equals(live[1].QrdlCode, res.Data.QrdlCode)
          if res.reconciled then reconciled = reconciled + 1 end
        end
        local state = m:lose_answers{ how = "off" }
        assert.equals(5, state.lost) -- 16 changes, every 3rd answer lost
        -- each lost answer made up for by listing the codes (on a loaded machine an answer
        -- slower than the timeout is one more)
        assert.is_true(reconciled >= 5, reconciled .. " reconciled")
        assert.equals(16, #m:codes(PHONE))
        m:await_answers()
      end)
    end

    it("marks what it found by listing, and sends a change again only when it was not made",
      function()
        local c = client()
        local code = assert(create(c, "before")).Data.QrdlCode
        m:fail("close") -- before the server acts: not made
        local res = assert(c:update_qrdl{ phone_number = PHONE, qrdl_code = code,
          prefilled_message = "after", generate_qr_image = "SVG" })
        assert.is_nil(res.reconciled) -- the second attempt's own answer
        local actions = {}
        for _, r in ipairs(m:requests()) do actions[#actions + 1] = r.action end
        assert.same({ "ListPhoneMessageQrdl", "CreatePhoneMessageQrdl",
          "UpdatePhoneMessageQrdl", "ListPhoneMessageQrdl", "UpdatePhoneMessageQrdl" }, actions)
        m:lose_answers{ how = "close", at = { 1 } } -- made, then the answer lost
        res = assert(c:update_qrdl{ phone_number = PHONE, qrdl_code = res.Data.QrdlCode,
          prefilled_message = "again", generate_qr_image = "PNG" })
        assert.equals("Transport.Reset", res.reconciled.after)
        assert.equals("again", res.Data.PrefilledMessage)
        assert.equals(1, #live_with("again"))
        assert.equals(1, #m:codes(PHONE))
      end)

    it("deletes once: a repeat that finds the code gone means the first one did it", function()
      local c = client()
      local code = assert(create(c, "to delete")).Data.QrdlCode
      m:lose_answers{ how = "close", at = { 1 } }
      local res, err = c:delete_qrdl{ phone_number = PHONE, qrdl_code = code }
      assert.is_nil(err)
      assert.equals("OK", res.Code)
      assert.equals("Transport.Reset", res.reconciled.after)
      assert.same({}, m:codes(PHONE))
    end)

    it("says when the listed codes cannot tell, and sends nothing again", function()
      local c = client()
      local code = assert(create(c, "twin")).Data.QrdlCode
      assert(create(c, "other"))
      -- another code carries the message the update asks for: it could be either
      local other = assert(c:update_qrdl{ phone_number = PHONE, qrdl_code = m:codes(PHONE)[2].QrdlCode,
        prefilled_message = "same", generate_qr_image = "SVG" })
      m:lose_answers{ how = "close", at = { 1 } }
      local sent = m:request_count()
      local res, err = c:update_qrdl{ phone_number = PHONE, qrdl_code = code,
        prefilled_message = "same", generate_qr_image = "SVG" }
      if mode.keep then -- the named code is there with the requested content: done
        assert.is_nil(err)
        assert.equals(code, res.Data.QrdlCode)
      else
        assert.is_nil(res)
        assert.equals("Reconcile.Ambiguous", err.code)
        assert.is_true(err.uncertain)
        assert.is_false(err.retryable)
        assert.equals(2, #err.candidates)
        assert.truthy(err.message:find(other.Data.QrdlCode, 1, true), err.message)
        assert.truthy(tostring(err):find("nothing was sent again", 1, true))
      end
      assert.equals(sent + 2, m:request_count()) -- the update and one list, nothing resent
    end)

    it("with reconcile = false: no codes listed, and a lost answer is not sent again", function()
      local c = client()
      m:lose_answers{ how = "close", at = { 1 } }
      local res, err = create(c, "unchecked", { reconcile = false })
      assert.is_nil(res)
      assert.equals("Transport.Reset", err.code)
      assert.is_true(err.uncertain)
      assert.equals(1, err.attempts)
      assert.equals(1, m:request_count()) -- no list before, no repeat after
      assert.equals(1, #live_with("unchecked")) -- it was made: the caller must check
    end)
  end)
end

describe("exactly-once batch", function()
  local m = mock_client.use()
  local dir
  setup(function() dir = util.tmpdir("once") end)
  teardown(function() util.remove_tmpdir(dir) end)

  local N = 30

  local function cams(args, env_extra)
    local env = mock_client.environment(m, env_extra)
    local parts = { "cd", util.q(dir), "&&", "env" }
    for k, v in pairs(env) do parts[#parts + 1] = util.q(k .. "=" .. v) end
    parts[#parts + 1] = rawget(_G, "jit") and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))
    parts[#parts + 1] = util.q(CAMS)
    for _, a in ipairs(args) do parts[#parts + 1] = util.q(a) end
    return table.concat(parts, " ")
  end

  local function finished(journal)
    local n, in_flight = 0, nil
    for k, l in ipairs(util.lines(util.read_file(journal) or "")) do
      local ok, rec = pcall(cjson.decode, l)
      if k > 1 and ok and type(rec) == "table" then
        if rec.status == "sending" then in_flight = rec.row else n, in_flight = n + 1, nil end
      end
    end
    return n, in_flight
  end

  for _, mode in ipairs(mock_client.MODES) do
    for _, stop in ipairs{ "INT", "KILL" } do
      it("a 30-row batch stopped with SIG" .. stop .. " and resumed: 30 rows ok, each with its "
          .. "live code, no orphan (" .. mode.name .. ")", function()
        m:keep_codes(mode.keep)
        local name = (mode.keep and "kept" or "replaced") .. "-" .. stop
        local input, output = dir .. "/" .. name .. ".csv", dir .. "/" .. name .. ".jsonl"
        local lines = { "phone_number,qrdl_code,prefilled_message,generate_qr_image" }
        local codes = {}
        for i = 1, N do
          codes[i] = ("%sR%03d"):format(mode.keep and "K" or "X", i)
          lines[#lines + 1] = ("%s,%s,new message %d,SVG"):format(PHONE, codes[i], i)
        end
        m:seed(PHONE, codes)
        util.write_file(input, table.concat(lines, "\n") .. "\n")
        m:lose_answers{ how = "close", every = 3 } -- every 3rd answer lost
        local args = { "--qps", "50", "qrdl", "update-batch", input, "--yes", "--output-file",
          output }
        local pid = tonumber(util.capture("(" .. cams(args) .. " >/dev/null 2>"
          .. util.q(output .. ".err1") .. " </dev/null & echo $!)"))
        local deadline = socket.gettime() + 60
        local delayed = false
        while true do
          local n, in_flight = finished(output .. ".journal")
          if n >= 10 and stop == "KILL" and not delayed then
            m:delay(2) -- SIGKILL lands while a row waits for its answer
            delayed = true
          end
          if n >= 10 and stop == "INT" then break end
          if delayed and in_flight then -- the delayed request has reached the server
            local c = m:control("count")
            if c.count > c.answered then break end
          end
          assert.is_true(socket.gettime() < deadline, "the batch made no progress")
          socket.sleep(0.01)
        end
        os.execute("kill -" .. stop .. " " .. pid)
        while (util.read_file("/proc/" .. pid .. "/stat") or ""):match("%)%s+[^ZX]") do
          socket.sleep(0.01)
        end
        m:await_answers(30)
        assert.is_true(util.run(cams(args) .. " --resume >/dev/null 2>" .. util.q(output .. ".err2")),
          util.read_file(output .. ".err2"))
        m:lose_answers{ how = "off" }

        local live = {}
        for _, c in ipairs(m:codes(PHONE)) do live[c.QrdlCode] = c.PrefilledMessage end
        local rows, count = 0, 0
        for _ in pairs(live) do count = count + 1 end
        for _, l in ipairs(util.lines(util.read_file(output))) do
          local r = cjson.decode(l)
          rows = rows + 1
          assert.equals("ok", r.status)
          assert.equals("new message " .. math.floor(r.row), live[r.qrdl_code]) -- the live code
          assert.equals(mode.keep, r.qrdl_code == codes[math.floor(r.row)])
        end
        assert.equals(N, rows)
        local messages = {}
        for _, msg in pairs(live) do
          assert.is_nil(messages[msg], "two codes carry " .. msg)
          messages[msg] = true
        end
        assert.equals(N, count) -- no orphan code
      end)
    end
  end
end)
