-- The Lua layer over the fake core, for one block of unit specs: before each test every
-- cams module is loaded afresh (spec.support.fresh) with the fake core
-- (spec.support.fake_core) and an empty environment; after the block the real modules are
-- back.
--
--   local fake_client = require "spec.support.fake_client"
--   describe("...", function()
--     local f = fake_client.use(respond)  -- respond as for fake_core.new (nil: a success)
--     f.cams, f.core, f.calls             -- this test's cams module, fake core and its record
--     f.env                               -- the environment cams reads (cams._getenv)
--     f.client                            -- a client with the test keys, made before each test
--     f.load(respond)                     -- loads afresh, answering through respond (make
--                                         -- clients after it: f.client is of the old load)
--     f.new(opts)                         -- cams.new with the test keys and opts
--     f.new_ok(opts)                      -- the same, asserting a client
--     f.rejects(opts, ...)                -- f.new fails with InvalidParameter naming each ...
--   end)
--   fake_client.args(over)                     -- valid update_qrdl arguments, over on top
--   fake_client.expect_invalid(res, err, ...)  -- res is nil and err an InvalidParameter
--                                              -- naming each ..., the secret not shown
local assert = require "luassert"
local fake_core = require "spec.support.fake_core"
local fresh = require "spec.support.fresh"
local util = require "spec.support.util"

local M = {}

M.KEY_ID = "LTAI5tFakeKeyId0000abcd"
M.SECRET = "s3cr3t-Very-Private-Value"
M.TOKEN = "sts-token-Very-Private-Value"

--- The arguments of a valid update_qrdl call, with `over` on top.
function M.args(over)
  return util.merge({ phone_number = "8615800000000", qrdl_code = "D9II3xxx",
    prefilled_message = "Hello", generate_qr_image = "SVG" }, over)
end

function M.expect_invalid(res, err, ...)
  assert.is_nil(res)
  assert.is_table(err)
  assert.equals("InvalidParameter", err.code)
  for _, needle in ipairs{ ... } do
    assert.is_true(util.contains(err.message, needle), ("%q lacks %q"):format(err.message, needle))
  end
  assert.is_false(util.contains(tostring(err), M.SECRET))
  return err
end

function M.use(respond)
  local busted = require "busted"
  local f = {}

  function f.load(answer)
    f.core, f.calls = fake_core.new(answer)
    f.cams = fresh.load{ ["cams.core"] = f.core }
    f.env = {}
    f.cams._getenv = function(name) return f.env[name] end
    return f.cams
  end

  function f.new(opts)
    return f.cams.new(util.merge({ access_key_id = M.KEY_ID, access_key_secret = M.SECRET }, opts))
  end

  function f.new_ok(opts)
    local c, err = f.new(opts)
    assert.is_nil(err)
    assert.is_table(c)
    return c
  end

  function f.rejects(opts, ...)
    local c, err = f.new(opts)
    return M.expect_invalid(c, err, ...)
  end

  busted.before_each(function()
    f.load(respond)
    f.client = f.new_ok()
  end)
  busted.teardown(function() fresh.restore() end)
  return f
end

return M
