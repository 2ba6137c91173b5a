-- What a call does after an uncertain outcome, decided from the listed codes, over the fake
-- core: a small server in Lua that keeps codes, applies changes and loses answers on cue.
local cjson = require "cjson"
local fake_client = require "spec.support.fake_client"
local util = require "spec.support.util"

local PHONE = "8615800000000"

-- The form body of a request as a table.
local function form(body)
  local t = {}
  for k, v in (body or ""):gmatch("([^&=]+)=([^&]*)") do
    t[k] = v:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
  end
  return t
end

-- A server of `codes` ({QrdlCode, PrefilledMessage, GenerateQrImage}); `keep`: updates keep
-- their code. script[n] says what happens to the n-th request: nil (answered), "lose" (made,
-- then the answer lost after sending), "refuse" (connection refused: nothing sent),
-- "fail_list" (a List answers 500 InternalError; others answered).
local function server(codes, keep, script)
  local s = { codes = codes, n = 0, actions = {} }
  local serial = 0
  local function answer(data)
    return 200, { ["x-acs-request-id"] = "R" .. s.n },
      cjson.encode{ Code = "OK", RequestId = "R" .. s.n, Data = data }
  end
  function s.respond(r)
    s.n = s.n + 1
    local action = r.headers["x-acs-action"]
    s.actions[#s.actions + 1] = action
    local cue = script[s.n]
    if cue == "refuse" then return nil, "Transport.Connect", "refused", false end
    if cue == "fail_list" and action == "ListPhoneMessageQrdl" then
      return 500, {}, '{"Code":"InternalError","Message":"down","RequestId":"X"}'
    end
    local p, data = form(r.body), nil
    if action == "ListPhoneMessageQrdl" then
      data = s.codes
    elseif action == "CreatePhoneMessageQrdl" then
      serial = serial + 1
      data = { QrdlCode = "NEW" .. serial, PrefilledMessage = p.PrefilledMessage,
        GenerateQrImage = p.GenerateQrImage }
      s.codes[#s.codes + 1] = data
    elseif action == "UpdatePhoneMessageQrdl" then
      for i, c in ipairs(s.codes) do
        if c.QrdlCode == p.QrdlCode then
          serial = serial + 1
          data = { QrdlCode = keep and c.QrdlCode or ("REPL" .. serial),
            PrefilledMessage = p.PrefilledMessage, GenerateQrImage = p.GenerateQrImage }
          s.codes[i] = data
        end
      end
      if not data then
        return 400, {}, '{"Code":"QrdlCode.NotFound","Message":"no such code","RequestId":"N"}'
      end
    end
    if cue == "lose" then return nil, "Transport.Reset", "closed after sending", true end
    return answer(data)
  end
  return s
end

local function code(c, m, i) return { QrdlCode = c, PrefilledMessage = m, GenerateQrImage = i } end

describe("reconciliation after an uncertain outcome", function()
  local f = fake_client.use()

  local function with(s)
    f.load(s.respond)
    return f.new_ok{ qps = false, retry_base_delay = 0.01 }
  end

  local function update(c, over)
    return c:update_qrdl(util.merge({ phone_number = PHONE, qrdl_code = "OLD",
      prefilled_message = "wanted", generate_qr_image = "PNG" }, over))
  end

  for _, keep in ipairs{ false, true } do
    it("takes a lost update for done when the codes show it (" .. (keep and "code kept"
        or "code replaced") .. ")", function()
      local s = server({ code("OLD", "before", "SVG"), code("B", "other", "PNG") }, keep,
        { "lose" })
      local res, err = update(with(s))
      assert.is_nil(err)
      assert.equals("Transport.Reset", res.reconciled.after)
      assert.equals(keep and "OLD" or "REPL1", res.Data.QrdlCode)
      assert.equals("wanted", res.Data.PrefilledMessage)
      assert.same({ "UpdatePhoneMessageQrdl", "ListPhoneMessageQrdl" }, s.actions)
    end)
  end

  it("sends an update again when the named code still has its old content", function()
    -- the answer was lost before the server made the change: a certain failure does not
    -- need a list; here the connection dropped after sending without a change
    local s = server({ code("OLD", "before", "SVG") }, false, {})
    local respond = s.respond
    local lost = false
    s.respond = function(r)
      if not lost then
        lost = true
        s.actions[#s.actions + 1] = "lost"
        return nil, "Transport.Timeout", "no answer", true
      end
      return respond(r)
    end
    local res, err = update(with(s))
    assert.is_nil(err)
    assert.is_nil(res.reconciled)
    assert.same({ "lost", "ListPhoneMessageQrdl", "UpdatePhoneMessageQrdl" }, s.actions)
  end)

  it("retries a certain failure without listing anything", function()
    local s = server({ code("OLD", "before", "SVG") }, false, { "refuse" })
    local res = assert(update(with(s)))
    assert.is_nil(res.reconciled)
    assert.same({ "UpdatePhoneMessageQrdl", "UpdatePhoneMessageQrdl" }, s.actions)
  end)

  it("is ambiguous, and sends nothing, when the codes do not tell", function()
    for _, case in ipairs{
      { { code("X", "wanted", "PNG"), code("Y", "wanted", "PNG") }, "2 codes carry" },
      { { code("Z", "unrelated", "PNG") }, "0 codes carry" },
    } do
      local s = server(case[1], false, {})
      local respond = s.respond
      s.respond = function(r)
        if #s.actions == 0 then -- the update: lost, and its named code not listed
          s.actions[1] = "lost"
          return nil, "Transport.Reset", "closed", true
        end
        return respond(r)
      end
      local res, err = update(with(s))
      assert.is_nil(res)
      assert.equals("Reconcile.Ambiguous", err.code)
      assert.truthy(err.message:find(case[2], 1, true), err.message)
      assert.is_false(err.retryable)
      assert.is_true(err.uncertain)
      assert.same({ "lost", "ListPhoneMessageQrdl" }, s.actions)
    end
  end)

  it("says so when the codes cannot be listed, and sends nothing", function()
    local s = server({ code("OLD", "before", "SVG") }, false,
      { "lose", "fail_list", "fail_list", "fail_list", "fail_list" })
    local res, err = update(with(s))
    assert.is_nil(res)
    assert.equals("Reconcile.Failed", err.code)
    assert.matches("could not be listed", err.message)
    assert.equals("InternalError", err.cause.code)
    assert.is_false(err.retryable)
    for i = 2, #s.actions do assert.equals("ListPhoneMessageQrdl", s.actions[i]) end
  end)

  it("compares a lost create with the codes listed before it", function()
    local s = server({ code("A", "wanted", "PNG") }, false, { nil, "lose" })
    local res, err = with(s):create_qrdl{ phone_number = PHONE, prefilled_message = "wanted",
      generate_qr_image = "PNG" }
    assert.is_nil(err)
    assert.equals("NEW1", res.Data.QrdlCode) -- not A, which was there before
    assert.same({ "ListPhoneMessageQrdl", "CreatePhoneMessageQrdl", "ListPhoneMessageQrdl" },
      s.actions)
    assert.equals(2, #s.codes)
  end)

  it("sends a create again when no new code came of it", function()
    local s = server({}, false, {})
    local respond = s.respond
    s.respond = function(r)
      if #s.actions == 1 then -- the create, lost before it was made
        s.actions[2] = "lost"
        return nil, "Transport.Reset", "closed", true
      end
      return respond(r)
    end
    local res = assert(with(s):create_qrdl{ phone_number = PHONE, prefilled_message = "wanted",
      generate_qr_image = "PNG" })
    assert.equals("NEW1", res.Data.QrdlCode)
    assert.same({ "ListPhoneMessageQrdl", "lost", "ListPhoneMessageQrdl",
      "CreatePhoneMessageQrdl" }, s.actions)
  end)

  it("checks first when told the call repeats one whose answer was lost (resend)", function()
    local s = server({ code("REPL9", "wanted", "PNG") }, false, {})
    local c = with(s)
    local res = assert(c:update_qrdl({ phone_number = PHONE, qrdl_code = "OLD",
      prefilled_message = "wanted", generate_qr_image = "PNG" }, { resend = true }))
    assert.equals("REPL9", res.Data.QrdlCode) -- made by the earlier run: not sent again
    assert.same({ "ListPhoneMessageQrdl" }, s.actions)
    s = server({ code("OLD", "before", "SVG") }, false, {}) -- not made earlier: sent now
    res = assert(with(s):update_qrdl({ phone_number = PHONE, qrdl_code = "OLD",
      prefilled_message = "wanted", generate_qr_image = "PNG" }, { resend = true }))
    assert.equals("REPL1", res.Data.QrdlCode)
    assert.same({ "ListPhoneMessageQrdl", "UpdatePhoneMessageQrdl" }, s.actions)
  end)
end)
