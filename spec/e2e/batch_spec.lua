-- client:update_many against the mock CAMS server: per-row results, callbacks, pacing
-- under a limit the mock enforces, retries, injected failures, skipping and stopping.
local mock_client = require "spec.support.mock_client"
local socket = require "socket"

local PHONE = "8615800000003"

local function rows_of(n, first)
  local rows = {}
  for i = 1, n do
    rows[i] = { phone_number = PHONE, qrdl_code = ("B%04d"):format((first or 0) + i),
                prefilled_message = "message " .. i, generate_qr_image = i % 2 == 0 and "PNG" or "SVG" }
  end
  return rows
end

for _, mode in ipairs(mock_client.MODES) do
  describe("client:update_many (" .. mode.name .. ")", function()
    local m, client = mock_client.use{ qps = 200, retry_base_delay = 0.01 }
    before_each(function() m:keep_codes(mode.keep) end)
    after_each(function() m:config{ qps = 0 } end)

    it("updates every row and reports each result and the progress", function()
      local rows = rows_of(12)
      local seen, progress = {}, {}
      local results, summary = client():update_many(rows, {
        on_result = function(i, res, err) seen[#seen + 1] = { i, res, err } end,
        on_progress = function(done, total, failures) progress[#progress + 1] = { done, total, failures } end,
      })
      assert.same({ total = 12, done = 12, succeeded = 12, failed = 0, skipped = 0, stopped = false },
                  summary)
      assert.equals(12, #results)
      local stored = {}
      for _, c in ipairs(m:codes(PHONE)) do stored[c.QrdlCode] = c.PrefilledMessage end
      for i, r in ipairs(results) do
        assert.equals(i, r.row)
        local live = r.res.Data.QrdlCode -- the live code: the one named, or its successor
        assert.equals(mode.keep, live == rows[i].qrdl_code)
        assert.equals("message " .. i, stored[live])
        assert.equals("message " .. i, r.res.Data.PrefilledMessage)
        assert.equals(i, seen[i][1])
        assert.equals(r.res, seen[i][2])
        assert.is_nil(seen[i][3])
        assert.same({ i, 12, 0 }, progress[i])
      end
      assert.equals(12, #m:codes(PHONE))
      assert.equals(12, m:request_count())
    end)

    it("keeps going past failed rows and reports them", function()
      local rows = rows_of(10)
      local results, summary = client{ retries = 0 }:update_many(rows, {
        on_result = function(i)
          if i == 4 then m:fail("Ram.PermissionDeny", 2) end -- rows 5 and 6
        end,
      })
      assert.equals(8, summary.succeeded)
      assert.equals(2, summary.failed)
      for i = 1, 10 do
        if i == 5 or i == 6 then
          assert.is_nil(results[i].res)
          assert.equals("Ram.PermissionDeny", results[i].err.code)
          assert.is_string(results[i].err.request_id)
        else
          assert.equals("OK", results[i].res.Code)
        end
      end
      assert.equals(8, #m:codes(PHONE))
    end)

    it("retries what may pass on a second try", function()
      m:fail("ServiceUnavailable", 1)
      m:fail("System.LimitControl", 1)
      local results, summary = client{ retries = 2 }:update_many(rows_of(3))
      assert.equals(3, summary.succeeded)
      assert.equals("OK", results[1].res.Code)
      assert.equals(5, m:request_count())
    end)

    it("paces the calls below a limit the server enforces", function()
      m:config{ qps = 60 }
      local n, qps = 30, 50
      local started = socket.gettime()
      local _, summary = client{ qps = qps, retries = 0 }:update_many(rows_of(n))
      local elapsed = socket.gettime() - started
      -- no System.LimitControl (there are no retries here), and the calls were spread out
      -- (e2e/cli_spec.lua sends more rows than the server's limit allows in one second)
      assert.equals(n, summary.succeeded)
      assert.equals(n, m:request_count())
      assert.is_true(elapsed >= (n - 1) / qps * 0.9, "took only " .. elapsed .. " s")
    end)

    it("skips rows done earlier and accepts PascalCase keys", function()
      local rows = rows_of(6)
      rows[2] = { PhoneNumber = PHONE, QrdlCode = "PASCAL", PrefilledMessage = "p", GenerateQrImage = "SVG" }
      local results, summary = client():update_many(rows, {
        skip = function(i) return i % 3 == 0 end,
      })
      assert.same({ total = 6, done = 4, succeeded = 4, failed = 0, skipped = 2, stopped = false },
                  summary)
      assert.is_true(results[3].skipped)
      assert.is_true(results[6].skipped)
      assert.equals("p", results[2].res.Data.PrefilledMessage)
      assert.equals(mode.keep, results[2].res.Data.QrdlCode == "PASCAL")
      assert.equals(4, m:request_count())
    end)

    it("fails a row with an invalid or ambiguous argument without sending it", function()
      local rows = rows_of(3)
      rows[1].generate_qr_image = "GIF"
      rows[2].QrdlCode = "TWICE"
      local results, summary = client():update_many(rows)
      assert.equals(2, summary.failed)
      assert.equals("InvalidParameter", results[1].err.code)
      assert.equals("InvalidParameter", results[2].err.code)
      assert.matches("given twice", results[2].err.message)
      assert.equals("OK", results[3].res.Code)
      assert.equals(1, m:request_count())
    end)

    it("stops when on_result returns false", function()
      local results, summary = client():update_many(rows_of(5), {
        on_result = function(i) return i < 2 end,
      })
      assert.is_true(summary.stopped)
      assert.equals(2, summary.done)
      assert.is_nil(results[3])
      assert.equals(2, m:request_count())
    end)

    it("raises on programming errors", function()
      local c = client()
      assert.has_error(function() c:update_many("rows") end)
      assert.has_error(function() c:update_many({ "row" }) end)
      assert.has_error(function() c:update_many({}, { on_reslt = function() end }) end)
      assert.has_error(function() c:update_many({}, { on_result = 1 }) end)
      assert.has_error(function() c.update_many({}, {}) end)
      local results, summary = c:update_many({})
      assert.same({}, results)
      assert.equals(0, summary.total)
    end)
  end)
end
