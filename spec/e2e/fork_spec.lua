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

-- A client made before fork() (nginx's init_by_lua, a pre-forking server): each process
-- must get its own connection, and neither may break the other's. Forks from Lua through
-- LuaJIT's FFI; the child reports by its exit status only.
local has_ffi, ffi = pcall(require, "ffi")
describe("a client after fork()", function()
  local mock_client = require "spec.support.mock_client"
  local m, client = mock_client.use({ qps = false, retries = 0 }, { keep_codes = true })
  local test = has_ffi and it or pending

  test("works in the child and still in the parent, on a connection each", function()
    ffi.cdef[[
      int fork(void);
      int waitpid(int pid, int *status, int options);
      void _exit(int status);
    ]]
    local args = { phone_number = "8615800000000" }
    local c = client()
    assert(c:list_qrdl(args)) -- the connection the child inherits
    for round = 1, 3 do
      local pid = ffi.C.fork()
      assert.is_true(pid >= 0)
      if pid == 0 then
        local ok = pcall(function()
          assert(c:list_qrdl(args))
          assert(c:list_qrdl(args))
          c:close()
        end)
        ffi.C._exit(ok and 0 or 1)
      end
      local status = ffi.new("int[1]")
      assert.equals(pid, ffi.C.waitpid(pid, status, 0))
      assert.equals(0, status[0], "the child's calls failed in round " .. round)
      local codes, err = c:list_qrdl(args)
      assert.is_table(codes, tostring(err))
    end
    assert.equals(1 + 3 * 3, m:request_count())
    c:close()
  end)
end)
