-- Nonces are drawn from RAND_bytes in batches; a forked child must not reuse the batch its
-- parent drew (nginx forks its workers after loading Lua code, for one).
local util = require "spec.support.util"

local HELPER = "build/test/fork_nonce"

describe("nonce pool", function()
  local test = util.exists(HELPER) and it or pending

  test("gives a forked child nonces of its own", function()
    for _ = 1, 5 do
      local out = util.output(HELPER .. " 2>&1")
      local parent = out:match("parent (%x+)")
      local child = out:match("child (%x+)")
      assert.is_string(parent, out)
      assert.is_string(child, out)
      assert.equals(32, #parent)
      assert.equals(32, #child)
      assert.are_not.equal(parent, child)
    end
  end)
end)
