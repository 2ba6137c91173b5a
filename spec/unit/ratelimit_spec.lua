-- The rate limiters: per client (cams.ratelimit) and shared by the workers of an nginx
-- through a lua_shared_dict (cams.ratelimit.shdict, over a stand-in dict). Times are
-- given, never waited for.
local ratelimit = require "cams.ratelimit"
local shdict = require "cams.ratelimit.shdict"
local fake_ngx = require "spec.support.fake_ngx"

describe("ratelimit", function()
  it("spaces reservations 1/qps apart per key, with a 5% margin", function()
    local l = ratelimit.new()
    assert.equals(0, l:reserve("A", 5, 10))
    assert.near(0.21, l:reserve("A", 5, 10), 1e-9)
    assert.near(0.42, l:reserve("A", 5, 10), 1e-9)
    assert.equals(0, l:reserve("B", 5, 10))
    assert.near(0.33, l:reserve("A", 5, 10.3), 1e-9)
  end)

  it("never lets qps + 1 reservations fit into one second", function()
    local l = ratelimit.new()
    local at = {}
    for i = 1, 6 do at[i] = l:reserve("A", 5, 0) end
    assert.is_true(at[6] - at[1] > 1)
  end)

  it("does not bank unused time", function()
    local l = ratelimit.new()
    l:reserve("A", 5, 0)
    assert.equals(0, l:reserve("A", 5, 100))
    assert.near(0.21, l:reserve("A", 5, 100), 1e-9)
  end)

  it("gives back a released reservation", function()
    local l = ratelimit.new()
    l:reserve("A", 2, 0)
    l:reserve("A", 2, 0)
    l:release("A", 2)
    assert.near(0.525, l:reserve("A", 2, 0), 1e-9)
  end)
end)

describe("shared-dict rate limiter", function()
  local gap5, gap2 = shdict.interval(5), shdict.interval(2)

  it("spaces reservations 1/qps (and a margin) apart for every worker sharing the dict",
    function()
      assert.is_true(gap5 >= 1 / 5 and gap5 < 1 / 5 * 1.1)
      local dict = fake_ngx.dict()
      local a, b = shdict.new(dict), shdict.new(dict) -- two workers
      assert.equals(0, a:reserve("X", 5, 10))
      assert.near(gap5, b:reserve("X", 5, 10), 1e-9)
      assert.near(2 * gap5, a:reserve("X", 5, 10), 1e-9)
      assert.equals(0, b:reserve("Y", 5, 10))
      assert.near(3 * gap5 - 0.3, b:reserve("X", 5, 10.3), 1e-9)
      assert.equals(0, a:reserve("X", 5, 100)) -- unused time is not banked
      assert.near(gap5, b:reserve("X", 5, 100), 1e-9)
    end)

  it("gives a slot back only while nobody has reserved after it", function()
    local dict = fake_ngx.dict()
    local a, b = shdict.new(dict), shdict.new(dict)
    a:reserve("X", 2, 0)
    a:reserve("X", 2, 0)
    a:release("X", 2)
    assert.near(gap2, b:reserve("X", 2, 0), 1e-9)
    a:reserve("X", 2, 0) -- slot at 2 gaps
    b:reserve("X", 2, 0) -- slot at 3 gaps
    a:release("X", 2) -- too late: b holds the slot after it
    assert.near(4 * gap2, b:reserve("X", 2, 0), 1e-9)
  end)

  it("waits while another worker holds the lock, and leaves no lock behind", function()
    local dict = fake_ngx.dict()
    local waits = 0
    local l = shdict.new(dict, function()
      waits = waits + 1
      if waits == 3 then dict:delete(shdict.PREFIX .. "X:lock") end -- the other one is done
    end)
    dict:add(shdict.PREFIX .. "X:lock", true)
    assert.equals(0, l:reserve("X", 5, 0))
    assert.equals(3, waits)
    assert.is_nil(dict:get(shdict.PREFIX .. "X:lock"))
  end)
end)
