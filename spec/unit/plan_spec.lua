-- Desired-state files (cams.desired), state files (cams.state) and the diff (cams.plan),
-- in-process: no server.
local desired = require "cams.desired"
local plan = require "cams.plan"
local state = require "cams.state"

local P = "8615800000021"

local function code(c, message, image)
  return { QrdlCode = c, PrefilledMessage = message, GenerateQrImage = image or "PNG",
    DeepLinkUrl = "https://wa.me/message/" .. c }
end

describe("cams.desired", function()
  it("reads YAML with the line of every problem, and JSON", function()
    local t, lines = desired.parse_yaml("numbers:\n  - phone_number: '" .. P .. "'\n"
      .. "    prune: true\n    codes:\n      - name: a\n        message: |\n          two\n"
      .. "          lines\n")
    local d = assert(desired.check(t, "f.yaml", lines))
    assert.equals(P, d.numbers[1].phone_number)
    assert.is_true(d.numbers[1].prune)
    assert.same({ name = "a", message = "two\nlines\n", image = "PNG", where = "f.yaml:5: numbers[1].codes[1]" },
      d.numbers[1].codes[1])
    local _, err = desired.check(desired.parse_yaml("numbers:\n  - phone_number: '" .. P
      .. "'\n    codes:\n      - {name: a, message: x, image: gif}\n"), "f.yaml")
    assert.matches("must be PNG or SVG", err.message)
    local bad, why = desired.parse_yaml("a: [1,\n")
    assert.is_nil(bad)
    assert.is_string(why)
    assert.is_nil((desired.parse_yaml("a: &x 1\nb: *x\n")))
    local j = assert(desired.check((desired.parse_json('{"numbers":[{"phone_number":'
      .. P .. ',"codes":[]}]}'))))
    assert.equals(P, j.numbers[1].phone_number) -- a JSON number is taken as its digits
  end)

  it("names an unknown key with the closest known one", function()
    local _, err = desired.check({ numbers = { { phone_number = P, codes = {
      { name = "a", mesage = "x" } } } } })
    assert.equals("InvalidParameter", err.code)
    assert.matches("unknown key 'mesage' in numbers%[1%]%.codes%[1%]; did you mean 'message'%?",
      err.message)
    _, err = desired.check({ number = {} })
    assert.matches("did you mean 'numbers'", err.message)
  end)

  for _, fmt in ipairs{ "yaml", "json" } do
    it("writes " .. fmt .. " that reads back the same", function()
      local d = { numbers = { { phone_number = P, cust_space_id = "cams-x", prune = true, codes = {
        { name = "a", message = 'Quote " and \\ and\nbreak, tab\t, del \127 and ünïcode', image = "SVG" },
        { name = "b", message = "plain", image = "PNG" } } } } }
      local text = desired.encode(d, fmt)
      local t, lines = (fmt == "yaml" and desired.parse_yaml or desired.parse_json)(text)
      local back = assert(desired.check(t, "x", lines))
      for i, c in ipairs(d.numbers[1].codes) do
        assert.equals(c.message, back.numbers[1].codes[i].message)
        assert.equals(c.image, back.numbers[1].codes[i].image)
      end
      assert.equals("cams-x", back.numbers[1].cust_space_id)
      assert.is_true(back.numbers[1].prune)
    end)
  end

  it("picks the format by extension", function()
    assert.equals("yaml", desired.format_of("a.yml"))
    assert.equals("json", desired.format_of("a.JSON"))
    assert.is_nil(desired.format_of("a.txt"))
  end)
end)

describe("cams.plan.diff", function()
  local function d(prune, codes)
    return assert(desired.check({ numbers = { { phone_number = P, prune = prune, codes = codes } } }))
  end

  it("follows the state, adopts, creates, updates, and prunes only when asked", function()
    local st = state.new()
    st.numbers[P] = { a = { qrdl_code = "AAA" }, gone = { qrdl_code = "GONE" } }
    local live = { [P] = { code("AAA", "old"), code("BBB", "b"), code("CCC", "c") } }
    local want = { { name = "a", message = "new" }, { name = "b", message = "b" },
      { name = "gone", message = "again" } }
    local p = plan.diff(d(false, want), st, live)
    assert.same({ create = 1, update = 1, delete = 0, retired = 1 }, p.summary)
    assert.equals("update", p.changes[1].action)
    assert.equals("AAA", p.changes[1].retires)
    assert.same({ message = "old", image = "PNG" }, p.changes[1].before)
    assert.equals("create", p.changes[2].action)
    assert.equals("gone", p.changes[2].name)
    assert.same({ phone_number = P, name = "b", qrdl_code = "BBB", adopted = true }, p.bindings[1])
    assert.same({ "gone", "unclaimed" }, { p.drift[1].kind, p.drift[2].kind })
    assert.is_false(p.drift[2].deleted)
    p = plan.diff(d(true, want), st, live)
    assert.same({ create = 1, update = 1, delete = 1, retired = 2 }, p.summary)
    assert.same({ "delete", "CCC" }, { p.changes[3].action, p.changes[3].qrdl_code })
  end)

  it("tells whether the server still matches a plan", function()
    local live = { [P] = { code("AAA", "x") } }
    local p = plan.diff(d(false, {}), nil, live)
    assert.is_true(plan.matches(p, live))
    local ok, why = plan.matches(p, { [P] = { code("AAA", "y") } })
    assert.is_false(ok)
    assert.matches("AAA changed", why)
    assert.is_false((plan.matches(p, { [P] = {} })))
  end)
end)

describe("cams.state", function()
  it("refuses a file that is not a state file", function()
    assert.is_nil((state.check({ kind = "x" }, "s.json")))
    local s = assert(state.check({ kind = state.KIND, numbers = { [P] = { a = { qrdl_code = "A" } } } }))
    assert.equals("A", s.numbers[P].a.qrdl_code)
  end)
end)
