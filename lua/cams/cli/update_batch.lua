--- `cams qrdl update-batch FILE`: updates the QR codes listed in a CSV or JSON Lines
-- file through client:update_many (paced by the client's rate limiter, retried by its
-- retry policy), journals every finished row so that an interrupted run resumes with
-- --resume, optionally saves the QR images (downloaded, or drawn locally with
-- --render-images), and writes one result per row.
--
-- Every row is checked before anything is sent: one bad row stops the run with exit
-- status 2 and nothing sent.

local cli = require "cams.cli"
local images = require "cams.cli.images"
local journal = require "cams.cli.journal"
local output = require "cams.cli.output"
local progress = require "cams.cli.progress"
local read_rows = require "cams.cli.rows"
local csv = require "cams.cli.csv"
local files = require "cams.cli.files"
local term = require "cams.cli.term"
local validate = require "cams.validate"

local M = {}

local format = string.format

-- Fields of a result record, in the order of the CSV columns. qrdl_code is the live code
-- of the row (the new one when the update replaced it), previous_qrdl_code the one the row
-- named when that was retired, reconciled true when a lost answer was made up for by
-- listing the codes.
M.FIELDS = { "row", "status", "phone_number", "qrdl_code", "previous_qrdl_code",
  "qr_image_url", "deep_link_url", "request_id", "reconciled", "error_code", "error_message",
  "image_file", "image_error" }

-- The journal notes a row "sending" before it goes out: a run killed then leaves that row
-- in flight, and --resume checks it (cams.reconcile) instead of sending it blindly.
local SENDING = "sending"

-- Row options that fill empty fields (every update parameter but the code).
local DEFAULTED = { "phone_number", "prefilled_message", "generate_qr_image", "cust_space_id" }

local say = cli.say

-- A field of a row or a result as text for the results file.
local function cell(v)
  if type(v) == "string" then
    return v
  elseif type(v) == "number" then
    return validate.integer_string(v) or tostring(v)
  end
  return nil
end

local function is_interrupt(e)
  local msg = type(e) == "table" and e.message or e
  return tostring(msg):find("interrupted!", 1, true) ~= nil
end

--- The result record of row `i` (its input `row`, and res or err).
function M.record(i, row, res, err)
  local rec = { row = i, phone_number = cell(row.phone_number), qrdl_code = cell(row.qrdl_code) }
  if res ~= nil then
    local data = type(res.Data) == "table" and res.Data or {}
    rec.status = "ok"
    local live = cell(data.QrdlCode)
    if live and live ~= rec.qrdl_code then
      rec.previous_qrdl_code, rec.qrdl_code = rec.qrdl_code, live
    end
    rec.reconciled = res.reconciled ~= nil or nil
    rec.qr_image_url = cell(data.QrImageUrl)
    rec.deep_link_url = cell(data.DeepLinkUrl)
    rec.request_id = cell(res.RequestId)
  else
    rec.status = "error"
    rec.error_code = cell(err.code)
    rec.error_message = cell(err.message)
    rec.request_id = cell(err.request_id)
  end
  return rec
end

local function default_output(file)
  local base = file:match("^(.*)%.[%w]+$")
  if not base or base:match("/$") or base == "" then
    base = file
  end
  return base .. ".results.jsonl"
end

-- Writes every record, in row order, to `path` (CSV when it ends in .csv).
local function write_results(path, records, n)
  local as_csv = read_rows.format_of(path) == "csv"
  local lines = {}
  if as_csv then
    lines[1] = csv.line(M.FIELDS)
  end
  for i = 1, n do
    local rec = records[i]
    if rec and rec.status ~= SENDING then
      if as_csv then
        local fields = {}
        for k, name in ipairs(M.FIELDS) do
          fields[k] = rec[name] ~= nil and tostring(rec[name]) or ""
        end
        lines[#lines + 1] = csv.line(fields)
      else
        lines[#lines + 1] = output.json(rec, nil, M.FIELDS) .. "\n"
      end
    end
  end
  return files.write_atomic(path, table.concat(lines))
end

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function make_dir(dir)
  local a, _, c = os.execute("mkdir -p -- " .. shell_quote(dir))
  if a == true or a == 0 then
    return c == nil or c == 0
  end
  return false
end

-- Counts of the records: updated, failed, images_failed, left.
local function tally(records, n)
  local t = { rows = n, updated = 0, failed = 0, images_failed = 0, left = 0 }
  for i = 1, n do
    local rec = records[i]
    if not rec or rec.status == SENDING then
      t.left = t.left + 1
    elseif rec.status == "ok" then
      t.updated = t.updated + 1
      if rec.image_error then
        t.images_failed = t.images_failed + 1
      end
    else
      t.failed = t.failed + 1
    end
  end
  return t
end

-- Why the files of a batch (a list of { description, path }) cannot be used together: two
-- of them are one file, or a QR image saved in `images_dir` may replace one; nil when none.
local function clashing(batch_files, images_dir)
  for i, a in ipairs(batch_files) do
    for j = i + 1, #batch_files do
      local b = batch_files[j]
      if files.same(a[2], b[2]) then
        return format("%s %s and %s %s are the same file", a[1], a[2], b[1], b[2])
      end
    end
    if images_dir and images.may_replace(images_dir, a[2]) then
      return format("the QR images saved in %s may take the name of %s %s", images_dir, a[1], a[2])
    end
  end
  return nil
end

-- Why a file the run writes cannot be written (the results, the images' folder; the
-- journal is open already, locked); nil when all can.
local function unwritable_file(out_path, images_dir)
  local ok, err = files.can_write(out_path)
  if not ok then
    return format("cannot write the results file %s: %s", out_path, err)
  end
  if images_dir then
    ok, err = files.can_make_folder(images_dir)
    if not ok then
      return format("cannot write in the folder %s: %s", images_dir, err)
    end
  end
  return nil
end

-- Rows from the file, with the row options filling empty fields; nil, status on error.
local function load_rows(args, client)
  local rows, checksum = read_rows.read(args.file, "update_qrdl", args.input_format)
  if not rows then
    say(checksum)
    return nil, cli.USAGE
  end
  if #rows == 0 then
    say(args.file .. ": no rows")
    return nil, cli.USAGE
  end
  for _, row in ipairs(rows) do
    for _, name in ipairs(DEFAULTED) do
      if row[name] == nil then
        row[name] = args[name]
      end
    end
  end
  -- every row is checked (prepare runs the call's checks) before anything is sent
  local bad = 0
  for i, row in ipairs(rows) do
    local req, err = client:prepare("update_qrdl", row)
    if not req then
      bad = bad + 1
      if bad <= 10 then
        say(format("%s: row %d: %s", args.file, i, tostring(err.message)))
      end
    end
  end
  if bad > 0 then
    say(format("%d of %d rows are not valid; nothing was sent", bad, #rows))
    return nil, cli.USAGE
  end
  return rows, checksum
end

-- One run: args, client, rows, n (row count), checksum (of the input), out_path,
-- journal_path, batch_files (the list of { description, path } no two of which may be one
-- file) and, once the journal is read, header (of an earlier run; nil when none), records
-- (row -> record) and complete (false when its last line was cut short).

-- Reads the journal of an earlier run into `b`: true, or nil and why the run cannot go on.
local function read_journal(b)
  local header, records, complete = journal.read(b.journal_path)
  if header == false then
    return nil, records
  end
  if header and not b.args.resume then
    return nil, format("%s holds the journal of an earlier run of this batch; pass --resume "
      .. "to continue it, or remove it to start over", b.journal_path)
  end
  if header and (header.checksum ~= b.checksum or header.rows ~= b.n) then
    return nil, format("%s belongs to a different input (%s changed since that run); remove "
      .. "it to start over", b.journal_path, b.args.file)
  end
  if not header and not b.args.overwrite and files.exists(b.out_path) then
    return nil, format("%s exists; pass --overwrite to replace it (or --resume with the "
      .. "journal of the run that wrote it); nothing was sent", b.out_path)
  end
  b.header, b.records, b.complete = header, records or {}, complete
  return true
end

-- True when row i needs no sending: finished in an earlier run, and not a failure that
-- --retry-failed sends again.
local function finished(b, i)
  local rec = b.records[i]
  return rec ~= nil and rec.status ~= SENDING and (rec.status == "ok" or not b.args.retry_failed)
end

-- --dry-run: the signed requests of the rows to send (secrets redacted).
local function print_requests(b)
  local first = true
  for i = 1, b.n do
    if not finished(b, i) then
      if not first then
        io.stdout:write("\n")
      end
      first = false
      cli.print_request(b.args, assert(b.client:prepare("update_qrdl", b.rows[i])))
    end
  end
  return cli.OK
end

-- Sends the `todo` rows not finished, after confirmation, each noted in the journal.
-- Returns true when the rows ran (interrupted or not, as the second value), or nil and
-- an exit status.
local function send_rows(b, todo)
  local args, rows, records = b.args, b.rows, b.records
  local ok, why = term.confirm(format("This updates %d QR code%s from %s. %s", todo,
    todo == 1 and "" or "s", args.file, cli.WARNINGS.update_qrdl), args.yes)
  if not ok then
    say(why or "not confirmed; nothing was sent")
    return nil, cli.USAGE
  end
  local saver
  if args.save_images then
    if not make_dir(args.save_images) then
      say("cannot create the folder " .. args.save_images .. "; nothing was sent")
      return nil, cli.USAGE
    end
    saver = images.new(b.client, args.save_images, b.batch_files, args.render_images)
  end
  local j, jerr
  if b.header then
    j, jerr = journal.reopen(b.journal_path, b.complete)
  else
    j, jerr = journal.create(b.journal_path, { input = args.file, checksum = b.checksum,
      rows = b.n })
    b.journal_started = j ~= nil
  end
  if not j then
    say("cannot write the journal: " .. tostring(jerr) .. "; nothing was sent")
    return nil, cli.USAGE
  end
  j.order = M.FIELDS

  local bar = progress.new{ total = todo, now = require("cams.core").monotonic,
    tty = term.isatty(2), interval = args.progress_interval }
  local failures = 0
  local ran, run_err = pcall(b.client.update_many, b.client, rows, {
    skip = function(i) return finished(b, i) end,
    resend = function(i) return records[i] ~= nil and records[i].status == SENDING end,
    on_start = function(i)
      local written, werr = j:add{ row = i, status = SENDING,
        phone_number = cell(rows[i].phone_number), qrdl_code = cell(rows[i].qrdl_code) }
      if not written then
        error("cannot write the journal: " .. tostring(werr), 0)
      end
    end,
    on_result = function(i, res, err)
      if err and is_interrupt(err) then
        error("interrupted!", 0)
      end
      local rec = M.record(i, rows[i], res, err)
      if res ~= nil and saver then
        rec.image_file, rec.image_error = saver:save(res.Data, i, rows[i].generate_qr_image)
      end
      local written, werr = j:add(rec)
      if not written then
        error("cannot write the journal: " .. tostring(werr), 0)
      end
      records[i] = rec
      if rec.status ~= "ok" or rec.image_error then
        failures = failures + 1
      end
      return not (args.max_failures and failures >= args.max_failures)
    end,
    on_progress = function(done, _, failed)
      bar:update(done, failed)
    end,
  })
  bar:finish()
  j:close()
  if saver then
    saver:close()
  end
  if not ran and not is_interrupt(run_err) then
    say(tostring(run_err))
    return nil, cli.FAILED
  end
  return true, not ran
end

-- Writes the results file and the summary (stderr, then stdout); returns the exit status.
local function report(b, before, interrupted)
  local written, werr = write_results(b.out_path, b.records, b.n)
  if not written then
    say("cannot write " .. b.out_path .. ": " .. tostring(werr))
    return cli.FAILED
  end
  local t = tally(b.records, b.n)
  local notes = {}
  if t.images_failed > 0 then
    notes[#notes + 1] = format(b.args.render_images and ", %d images not saved"
      or ", %d image downloads failed", t.images_failed)
  end
  io.stderr:write(format("%s%d rows: %d updated, %d failed, %d left%s (%d done before this "
    .. "run); results in %s\n", interrupted and "interrupted; " or "", b.n, t.updated, t.failed,
    t.left, table.concat(notes), before, b.out_path))
  if t.left > 0 then
    io.stderr:write("run the same command with --resume to continue\n")
  end
  t.resumed, t.output_file, t.journal = before, b.out_path, b.journal_path
  local status = cli.print_result(b.args, t)
  if interrupted then
    return cli.INTERRUPTED
  elseif t.failed > 0 or t.left > 0 or t.images_failed > 0 then
    return cli.FAILED
  end
  return status
end

-- The run once the journal is locked; returns the exit status.
local function run_locked(b)
  local ok, why = read_journal(b)
  if not ok then
    say(why)
    return cli.USAGE
  end
  why = unwritable_file(b.out_path, b.args.save_images)
  if why then
    say(why .. "; nothing was sent")
    return cli.USAGE
  end
  local todo = 0
  for i = 1, b.n do
    if not finished(b, i) then
      todo = todo + 1
    end
  end
  local interrupted = false
  if todo > 0 then
    local status
    ok, status = send_rows(b, todo)
    if not ok then
      return status
    end
    interrupted = status
  end
  return report(b, b.n - todo, interrupted)
end

function M.run(args, client)
  if args.retry_failed and not args.resume then
    say("--retry-failed goes with --resume")
    return cli.USAGE
  elseif args.render_images and not args.save_images then
    say("--render-images goes with --save-images (the folder of the images)")
    return cli.USAGE
  end
  local rows, checksum = load_rows(args, client)
  if not rows then
    return checksum
  end
  local out_path = args.output_file or default_output(args.file)
  local journal_path = args.journal or (out_path .. ".journal")
  local b = { args = args, client = client, rows = rows, n = #rows, checksum = checksum,
    out_path = out_path, journal_path = journal_path, batch_files = {
      { "the input file", args.file },
      { "the results file", out_path },
      { "the temporary copy of the results file", out_path .. ".part" },
      { "the journal", journal_path },
    } }
  local clash = clashing(b.batch_files, args.save_images)
  if clash then
    say(clash .. "; nothing was sent")
    return cli.USAGE
  end
  if args.dry_run then
    local ok, why = read_journal(b)
    if not ok then
      say(why)
      return cli.USAGE
    end
    return print_requests(b)
  end
  -- one run at a time: a second one would send the rows the first has not finished yet
  local existed = files.exists(journal_path)
  local lock, err, busy = journal.lock(journal_path)
  if not lock then
    say(busy and format("%s is in use by another run of update-batch; wait for it to end; "
      .. "nothing was sent", journal_path)
      or format("cannot write the journal %s: %s; nothing was sent", journal_path, err))
    return cli.USAGE
  end
  local status = run_locked(b)
  if not existed and not b.journal_started then
    os.remove(journal_path) -- the empty file of the lock
  end
  lock:release()
  return status
end

return M
