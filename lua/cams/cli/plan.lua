--- `cams qrdl plan FILE` and `cams qrdl apply FILE|PLANFILE`: QR codes as code.
--
-- plan lists the live codes of the numbers of a desired state (cams.desired), compares
-- them with it and with its state file (FILE.state.json, cams.state), and prints what
-- apply would change: + create, ~ update, - delete, each update and delete with the
-- printed code it retires, and the drift. --out saves the plan; apply of a saved plan
-- refuses it when the server no longer holds what the plan was made against.
--
-- apply makes the changes through client:apply (paced, exactly once), writing the state
-- file after each one and noting each in a journal (FILE.state.json.journal) so that an
-- interrupted apply goes on with --resume, never making a change twice.
local cli = require "cams.cli"
local desired_mod = require "cams.desired"
local files = require "cams.cli.files"
local journal = require "cams.cli.journal"
local output = require "cams.cli.output"
local plan_mod = require "cams.plan"
local state_mod = require "cams.state"
local term = require "cams.cli.term"

local M = {}

local format = string.format
local say = cli.say

M.JOURNAL_KIND = "cams qrdl apply journal"
M.PLAN_KIND = "cams qrdl saved plan"

function M.add_commands(qrdl, epilog)
  local plan = qrdl:command("plan", "Show what cams qrdl apply would change to bring the live "
    .. "QR codes to a desired state (YAML or JSON): + create, ~ update, - delete, with the "
    .. "printed codes that stop working. With --output json, one object per change.")
    :epilog("Exit status: 0 success (with --detailed-exitcode: no changes), 1 error, 2 usage "
      .. "error (with --detailed-exitcode: changes pending). " .. epilog)
  plan:argument("file", "Desired state: YAML (.yaml, .yml) or JSON (.json); its state is "
    .. "FILE.state.json.")
  plan:flag("--detailed-exitcode", "Exit 0 when in sync, 2 when changes are pending, 1 on "
    .. "error.")
  plan:option("--out", "Save the plan to this file, for cams qrdl apply PLANFILE.")
    :argname("<planfile>")

  local apply = qrdl:command("apply", "Make the changes of cams qrdl plan: from a desired "
    .. "state (planned anew) or a saved plan (refused when the server changed since). "
    .. cli.WARNINGS.update_qrdl .. " Asks for confirmation on a terminal; --yes confirms in "
    .. "advance."):epilog(epilog)
  apply:argument("file", "Desired state (YAML or JSON) or a plan saved with plan --out.")
  apply:flag("-y --yes", "Confirm without asking.")
  apply:flag("--resume", "Continue an interrupted apply from its journal "
    .. "(FILE.state.json.journal).")
end

---------------------------------------------------------------------------
-- Showing a plan

local function quote(s)
  if s == nil then
    return "(none)"
  end
  return '"' .. term.printable(s) .. '"'
end

local SIGNS = { create = "+", update = "~", delete = "-" }

--- The lines of a plan as a person reads it (terraform-like).
function M.render(plan, file)
  local out = {}
  local function add(s)
    out[#out + 1] = s
  end
  local codes = 0
  for _, n in ipairs(plan.numbers) do
    codes = codes + #n.live
  end
  add(format("Planned against %d live code%s of %d phone number%s%s.", codes,
    codes == 1 and "" or "s", #plan.numbers, #plan.numbers == 1 and "" or "s",
    file and (" for " .. term.printable(file)) or ""))
  if #plan.drift > 0 then
    add("")
    add("Drift:")
    for _, d in ipairs(plan.drift) do
      if d.kind == "gone" then
        add(format("  %s %s: its code %s is gone from the server", d.phone_number, d.name,
          d.qrdl_code))
      else
        add(format("  %s: live code %s (%s, %s) is claimed by no entry: %s", d.phone_number,
          d.qrdl_code, quote(d.message), tostring(d.image),
          d.deleted and "deleted (prune: true)" or "kept"))
      end
    end
  end
  add("")
  if #plan.changes == 0 then
    add("No changes: the live QR codes match the desired state.")
  end
  for _, c in ipairs(plan.changes) do
    add(format("  %s %s %s %s%s", SIGNS[c.action], c.action, c.phone_number,
      c.name or "(no entry)", c.qrdl_code and (" code " .. c.qrdl_code) or ""))
    if c.action == "create" then
      add(format("      message: %s", quote(c.after.message)))
      add(format("      image:   %s", c.after.image))
    elseif c.action == "update" then
      add(format("      message: %s -> %s", quote(c.before.message), quote(c.after.message)))
      add(c.before.image == c.after.image and format("      image:   %s", c.after.image)
        or format("      image:   %s -> %s", tostring(c.before.image), c.after.image))
    else
      add(format("      message: %s -> (deleted)", quote(c.before.message)))
    end
    if c.retires then
      add(format("      ! retires printed code %s: its copies will no longer open the chat",
        c.retires))
    end
  end
  for _, w in ipairs(plan.warnings) do
    add("warning: " .. term.printable(w))
  end
  local s = plan.summary
  add("")
  add(format("Plan: %d to create, %d to update, %d to delete; %d printed code%s will stop "
    .. "working", s.create, s.update, s.delete, s.retired, s.retired == 1 and "" or "s"))
  return table.concat(out, "\n") .. "\n"
end

-- The changes as machine-readable objects.
local function changes_json(plan)
  local list = {}
  for i, c in ipairs(plan.changes) do
    list[i] = { action = c.action, phone_number = c.phone_number, name = c.name,
      qrdl_code = c.qrdl_code, before = c.before, after = c.after, retires = c.retires }
  end
  return output.json(list, "  ", { "action", "phone_number", "name", "qrdl_code", "before",
    "after", "retires", "message", "image" })
end

---------------------------------------------------------------------------
-- Files

-- The desired state and its state, or nil and an exit status (the reason said).
local function load_desired(path)
  local desired, err = desired_mod.read(path)
  if not desired then
    say(err.message .. "; nothing was sent")
    return nil, cli.USAGE
  end
  local state_path = state_mod.path_of(path)
  local state
  state, err = state_mod.read(state_path)
  if not state then
    say(err.message .. "; nothing was sent")
    return nil, cli.USAGE
  end
  return desired, state, state_path
end

-- A saved plan in `path`, or nil when the file is not one.
local function saved_plan(path)
  if desired_mod.format_of(path) == "yaml" then
    return nil
  end
  local f = io.open(path, "rb")
  if not f then
    return nil
  end
  local text = f:read("*a") or ""
  f:close()
  local t = require("cjson.safe").decode(text)
  if type(t) == "table" and t.kind == M.PLAN_KIND and type(t.plan) == "table"
      and type(t.plan.changes) == "table" and type(t.state_file) == "string" then
    return t
  end
  return nil
end

---------------------------------------------------------------------------
-- plan

function M.run_plan(args, client)
  local function status(s)
    if args.detailed_exitcode and s ~= cli.OK then
      return cli.FAILED -- 2 means changes pending
    end
    return s
  end
  local desired, state = load_desired(args.file)
  if not desired then
    return status(state)
  end
  local plan, err = client:plan(desired, state)
  if not plan then
    io.stderr:write(term.printable(tostring(err)), "\n")
    return status(cli.status_of(err))
  end
  if args.out then
    local ok, werr = files.write_atomic(args.out, output.json({ kind = M.PLAN_KIND,
      desired_file = args.file, state_file = state_mod.path_of(args.file), plan = plan },
      "  ") .. "\n")
    if not ok then
      say(format("cannot write %s: %s", args.out, tostring(werr)))
      return status(cli.FAILED)
    end
  end
  if args.output == "json" then
    io.stdout:write(changes_json(plan), "\n")
  else
    io.stdout:write(M.render(plan, args.file))
  end
  if args.out then
    io.stdout:write(format("Saved the plan to %s: cams qrdl apply %s makes these changes.\n",
      args.out, args.out))
  end
  io.stdout:flush()
  if args.detailed_exitcode and not plan_mod.in_sync(plan) then
    return 2
  end
  return cli.OK
end

---------------------------------------------------------------------------
-- apply

local function is_interrupt(e)
  local msg = type(e) == "table" and e.message or e
  return tostring(msg):find("interrupted!", 1, true) ~= nil
end

local function checksum(plan)
  return require("cams.cli.rows").checksum(output.json(plan.changes))
end

-- What a person must read before saying yes.
local function warning(plan)
  local retired = {}
  for _, c in ipairs(plan.changes) do
    if c.retires then
      retired[#retired + 1] = c.retires
    end
  end
  local n = #plan.changes
  local text = format("This makes %d change%s to the QR codes.", n, n == 1 and "" or "s")
  if #retired > 0 then
    text = text .. format(" Printed copies of %s %s will no longer open the chat.",
      #retired == 1 and "the code" or "the codes", table.concat(retired, ", "))
  end
  return text
end

-- The line of one made change.
local function result_line(c, res, err)
  if not res then
    return format("  ! %s %s %s failed: %s", c.action, c.phone_number, c.name or c.qrdl_code,
      term.printable(tostring(err)))
  end
  if c.action == "delete" then
    return format("  - deleted %s %s code %s", c.phone_number, c.name or "(no entry)",
      c.qrdl_code)
  end
  local data = type(res.Data) == "table" and res.Data or {}
  local code = type(data.QrdlCode) == "string" and data.QrdlCode or c.qrdl_code
  local line = format("  %s %sd %s %s code %s %s", SIGNS[c.action], c.action, c.phone_number,
    c.name, tostring(code), term.printable(tostring(data.DeepLinkUrl)))
  if c.action == "update" and code ~= c.qrdl_code then
    line = line .. format(" (replaces %s, which no longer opens the chat)", c.qrdl_code)
  end
  return line
end

-- Applies `plan`; `ctx`: args, state, state_path, journal_path, records (of a resumed run),
-- header (of a resumed run). Returns the exit status.
local function make_changes(client, plan, ctx)
  local records = ctx.records or {}
  local j, jerr
  if ctx.header then
    j, jerr = journal.reopen(ctx.journal_path, ctx.complete)
  else
    j, jerr = journal.create(ctx.journal_path, { checksum = checksum(plan),
      rows = #plan.changes, plan = plan, state_file = ctx.state_path }, M.JOURNAL_KIND)
  end
  if not j then
    say("cannot write the journal: " .. tostring(jerr) .. "; nothing was sent")
    return cli.USAGE
  end
  local function note(rec)
    local ok, werr = j:add(rec)
    if not ok then
      error("cannot write the journal: " .. tostring(werr), 0)
    end
  end
  local lines = {}
  local ran, results, summary = pcall(client.apply, client, plan, {
    state = ctx.state,
    skip = function(i) return records[i] ~= nil and records[i].status == "ok" end,
    resend = function(i) return records[i] ~= nil end,
    on_start = function(i, c)
      note{ row = i, status = "sending", action = c.action }
    end,
    on_state = function(state)
      local ok, werr = state_mod.write(ctx.state_path, state)
      if not ok then
        error(format("cannot write the state file %s: %s", ctx.state_path, tostring(werr)), 0)
      end
    end,
    on_change = function(i, c, res, err)
      if err and is_interrupt(err) then
        error("interrupted!", 0)
      end
      local rec = { row = i, action = c.action, status = res and "ok" or "error" }
      if res then
        local data = type(res.Data) == "table" and res.Data or {}
        rec.qrdl_code = type(data.QrdlCode) == "string" and data.QrdlCode or c.qrdl_code
        rec.deep_link = type(data.DeepLinkUrl) == "string" and data.DeepLinkUrl or nil
      else
        rec.error_code, rec.error_message = tostring(err.code), tostring(err.message)
      end
      note(rec)
      records[i] = rec
      lines[#lines + 1] = result_line(c, res, err)
    end,
  })
  j:close()
  for _, l in ipairs(lines) do
    io.stdout:write(l, "\n")
  end
  io.stdout:flush()
  if not ran then
    if is_interrupt(results) then
      say("interrupted; run the same command with --resume to continue")
      return cli.INTERRUPTED
    end
    say(tostring(results))
    say("run the same command with --resume to continue")
    return cli.FAILED
  end
  local made = 0
  for i = 1, #plan.changes do
    if records[i] and records[i].status == "ok" then
      made = made + 1
    end
  end
  io.stderr:write(format("Apply: %d of %d changes made (%d in this run, %d failed); state in "
    .. "%s\n", made, #plan.changes, summary.succeeded, summary.failed, ctx.state_path))
  if made < #plan.changes then
    say("run the same command with --resume to try the rest")
    return cli.FAILED
  end
  os.remove(ctx.journal_path)
  return cli.OK
end

-- The apply once the journal is locked.
local function apply_locked(args, client, ctx)
  local header, records, complete = journal.read(ctx.journal_path, M.JOURNAL_KIND)
  if header == false then
    say(records)
    return cli.USAGE
  end
  if header and not args.resume then
    say(format("%s holds the journal of an interrupted apply; pass --resume to continue it, "
      .. "or remove it to start over (plan first: some changes may be made)", ctx.journal_path))
    return cli.USAGE
  end
  local plan
  if header then
    plan = header.plan
    if type(plan) ~= "table" or type(plan.changes) ~= "table"
        or checksum(plan) ~= header.checksum then
      say(ctx.journal_path .. " does not hold the plan it was started with; remove it to "
        .. "start over")
      return cli.USAGE
    end
    ctx.header, ctx.records, ctx.complete = header, records, complete
    local done = 0
    for _, r in pairs(records) do
      if r.status == "ok" then
        done = done + 1
      end
    end
    io.stderr:write(format("Resuming the apply journaled in %s: %d of %d changes made "
      .. "before.\n", ctx.journal_path, done, #plan.changes))
  else
    local live, err = plan_mod.list(client, ctx.saved and ctx.saved.plan.numbers
      or ctx.desired.numbers)
    if not live then
      io.stderr:write(term.printable(tostring(err)), "\n")
      return cli.status_of(err)
    end
    if ctx.saved then
      plan = ctx.saved.plan
      local ok, why = plan_mod.matches(plan, live)
      if not ok then
        say(format("the server no longer matches the saved plan (%s): run cams qrdl plan "
          .. "again; nothing was sent", why))
        return cli.FAILED
      end
    else
      plan = plan_mod.diff(ctx.desired, ctx.state, live)
    end
    io.stdout:write(M.render(plan, ctx.saved and ctx.saved.desired_file or args.file))
    io.stdout:flush()
    if plan_mod.in_sync(plan) then
      local _, _, state = client:apply(plan, { state = ctx.state })
      local ok, werr = state_mod.write(ctx.state_path, state)
      if not ok then
        say(format("cannot write %s: %s", ctx.state_path, tostring(werr)))
        return cli.FAILED
      end
      return cli.OK
    end
    local yes, why = term.confirm(warning(plan), args.yes)
    if not yes then
      say(why or "not confirmed; nothing was sent")
      return cli.USAGE
    end
  end
  return make_changes(client, plan, ctx)
end

function M.run_apply(args, client)
  local ctx = { args = args }
  local saved = saved_plan(args.file)
  if saved then
    ctx.saved, ctx.state_path = saved, saved.state_file
    local state, err = state_mod.read(ctx.state_path)
    if not state then
      say(err.message .. "; nothing was sent")
      return cli.USAGE
    end
    ctx.state = state
  else
    local desired, state, state_path = load_desired(args.file)
    if not desired then
      return state
    end
    ctx.desired, ctx.state, ctx.state_path = desired, state, state_path
  end
  ctx.journal_path = ctx.state_path .. ".journal"
  local existed = files.exists(ctx.journal_path)
  local lock, err, busy = journal.lock(ctx.journal_path)
  if not lock then
    say(busy and format("%s is in use by another apply; wait for it to end; nothing was sent",
      ctx.journal_path) or format("cannot write the journal %s: %s; nothing was sent",
      ctx.journal_path, tostring(err)))
    return cli.USAGE
  end
  local status = apply_locked(args, client, ctx)
  if not existed and files.exists(ctx.journal_path) then
    local f = io.open(ctx.journal_path, "rb")
    local empty = f and f:read(1) == nil
    if f then
      f:close()
    end
    if empty then
      os.remove(ctx.journal_path) -- the empty file of the lock
    end
  end
  lock:release()
  return status
end

return M
