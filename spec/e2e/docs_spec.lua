-- The documentation. The manual page and the shell completions under doc/ are what
-- doc/cli/generate.lua makes from the command line parser now (run in-process, under the
-- interpreter running this suite); the page renders without a warning and names every
-- command and option; the completions load and complete. The API reference (make
-- api-docs) builds without an ldoc warning, has pages for the public modules only, and
-- covers every operation, every option of cams.new and every error code of the README.
local util = require "spec.support.util"
local operations = require "cams.operations"
local cams = require "cams"

local q, run, capture, read_file = util.q, util.run, util.capture, util.read_file
local contains = util.contains

local GENERATED = { "man/cams.1", "completions/cams.bash", "completions/_cams",
  "completions/cams.fish" }

local function have(tool)
  return run("command -v " .. tool .. " >/dev/null 2>&1")
end

-- Output and success of a shell command.
local function shell(cmd)
  local out = capture("{ " .. cmd .. "; } 2>&1; echo \"exit=$?\"")
  local body, status = out:match("^(.-)\n?exit=(%d+)$")
  return body, status == "0"
end

local function sorted_keys(t)
  local out = {}
  for k in pairs(t) do
    out[#out + 1] = k
  end
  table.sort(out)
  return out
end

-- Every command of the parser with its full name ("qrdl update"), the root first.
local function commands_of(parser)
  local out = { { name = "", command = parser } }
  local i = 0
  while i < #out do
    i = i + 1
    for _, c in ipairs(out[i].command._commands or {}) do
      out[#out + 1] = { name = (out[i].name .. " " .. c._name):gsub("^ ", ""), command = c }
    end
  end
  return out
end

describe("manual page and shell completions", function()
  local dir, parser

  setup(function()
    parser = require("cams.cli").parser()
    dir = util.tmpdir("docs")
    assert(loadfile("doc/cli/generate.lua"))(dir)
  end)

  teardown(function()
    util.remove_tmpdir(dir)
  end)

  it("under doc/ are those the parser makes now (make cli-docs writes them)", function()
    for _, f in ipairs(GENERATED) do
      local fresh = read_file(dir .. "/" .. f)
      assert.is_string(fresh, f .. " was not generated")
      assert.is_true(read_file("doc/" .. f) == fresh,
        "doc/" .. f .. " is stale or missing: run make cli-docs and commit it")
    end
  end)

  it("man page: groff renders it without a warning", function()
    assert.is_true(have("groff"), "groff is missing (Debian groff-base: make deps)")
    local out, ok = shell("LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z doc/man/cams.1")
    assert.is_true(ok)
    assert.equal("", out)
  end)

  it("man page: names every command and every option of the parser", function()
    local text, ok = shell("LC_ALL=C groff -man -Tascii -P-cbou doc/man/cams.1")
    assert.is_true(ok, text)
    for _, entry in ipairs(commands_of(parser)) do
      if entry.name ~= "" then
        assert.is_true(contains(text, "cams " .. entry.name), "no section for " .. entry.name)
      end
      for _, o in ipairs(entry.command._options or {}) do
        for _, alias in ipairs(o._public_aliases) do
          assert.is_true(contains(text, alias), "option " .. alias .. " of '" .. entry.name
            .. "' is not in the man page")
        end
      end
    end
    for _, section in ipairs{ "SYNOPSIS", "COMMANDS", "OPTIONS", "CREDENTIALS",
      "ENVIRONMENT", "EXIT STATUS", "FILES", "EXAMPLES" } do
      assert.is_true(contains(text, "\n" .. section .. "\n"), "no section " .. section)
    end
    assert.is_true(contains(text, "lua-cams " .. cams.VERSION), "the version is not shown")
  end)

  it("bash: the completion parses and registers itself for cams", function()
    local out, ok = shell("bash -n doc/completions/cams.bash")
    assert.is_true(ok, out)
    out, ok = shell("bash -c 'source doc/completions/cams.bash; complete -p cams'")
    assert.is_true(ok, out)
    assert.is_true(contains(out, " -F _cams cams"), out)
  end)

  it("bash: completes commands, choices and options", function()
    -- COMPREPLY for a command line whose last word is being completed, sorted
    local function complete(words)
      local quoted = {}
      for i, w in ipairs(words) do
        quoted[i] = q(w)
      end
      local script = "source doc/completions/cams.bash; COMP_WORDS=(" .. table.concat(quoted, " ")
        .. "); COMP_CWORD=" .. (#words - 1) .. "; _cams; printf '%s\\n' \"${COMPREPLY[@]}\""
      local out, ok = shell("bash -c " .. q(script))
      assert.is_true(ok, out)
      local list = {}
      for line in out:gmatch("[^\n]+") do
        list[#list + 1] = line
      end
      table.sort(list)
      return list
    end
    local function starting(names, prefix)
      local out = {}
      for _, n in ipairs(names) do
        if n:sub(1, #prefix) == prefix then out[#out + 1] = n end
      end
      table.sort(out)
      return out
    end
    local by_name = {}
    for _, entry in ipairs(commands_of(parser)) do
      by_name[entry.name] = entry.command
    end
    local function names(list, field)
      local out = {}
      for _, e in ipairs(list) do
        for _, n in ipairs(field and e[field] or { e._name }) do out[#out + 1] = n end
      end
      return out
    end

    local function check(expected, words)
      assert.is_true(#expected > 0, "nothing to complete for " .. table.concat(words, " "))
      assert.same(expected, complete(words))
    end

    check(starting(names(by_name.qrdl._commands), "up"), { "cams", "qrdl", "up" })
    for _, o in ipairs(parser._options) do
      if o._choices then
        check(starting(o._choices, ""), { "cams", o._name, "" })
      end
    end
    -- the root's options and the command's own
    local options = names(parser._options, "_public_aliases")
    for _, n in ipairs(names(by_name["qrdl update"]._options, "_public_aliases")) do
      options[#options + 1] = n
    end
    check(starting(options, "--q"), { "cams", "qrdl", "update", "--q" })
  end)

  if have("zsh") then
    it("zsh: the completion parses", function()
      local out, ok = shell("zsh -n doc/completions/_cams")
      assert.is_true(ok, out)
    end)
  else
    pending("zsh: the completion parses (zsh is not installed)")
  end

  if have("fish") then
    it("fish: the completion parses", function()
      local out, ok = shell("fish --no-execute doc/completions/cams.fish")
      assert.is_true(ok, out)
    end)
  else
    pending("fish: the completion parses (fish is not installed)")
  end
end)

describe("API reference", function()
  local build_log, built

  setup(function()
    build_log, built = shell("make --no-print-directory api-docs")
  end)

  local function page(name)
    local html = read_file("build/docs/" .. name .. ".html")
    assert.is_string(html, "build/docs/" .. name .. ".html is missing")
    return html
  end

  -- The part of a page documenting one item (from its anchor to the next one).
  local function item(html, anchor)
    local start = html:find('<a name = "' .. anchor .. '"></a>', 1, true)
    assert.is_number(start, "nothing documents " .. anchor)
    local stop = html:find('<a name = "', start + 1, true) or #html
    return html:sub(start, stop)
  end

  local function unescape(s)
    return (s:gsub("&lt;", "<"):gsub("&gt;", ">"):gsub("&quot;", '"'):gsub("&amp;", "&"))
  end

  it("builds without an ldoc warning", function()
    assert.is_true(built, build_log)
  end)

  it("has pages for the public modules and classes only", function()
    local pages = {}
    for p in page("index"):gmatch('href="(%a+/[^"#]+)%.html') do
      pages[p] = true
    end
    assert.same({ "classes/cams.client", "classes/cams.error", "modules/cams",
      "modules/cams.redact" }, sorted_keys(pages))
    local files = capture("cd build/docs && find . -name '*.html' | sort")
    assert.equal("./classes/cams.client.html\n./classes/cams.error.html\n./index.html\n"
      .. "./modules/cams.html\n./modules/cams.redact.html", files)
  end)

  it("documents every operation with its parameters, limit and result", function()
    local client, module = page("classes/cams.client"), page("modules/cams")
    for name, entry in pairs(operations) do
      for _, part in ipairs{ item(client, "cams.client:" .. name), item(module, name) } do
        assert.is_true(contains(part, entry.action), name .. ": no action name")
        if entry.result then
          assert.is_true(contains(part, "body." .. entry.result), name .. ": no result field")
        end
      end
      local method = item(client, "cams.client:" .. name)
      if entry.qps then
        assert.is_true(contains(method, "Documented limit: " .. string.format("%g", entry.qps)
          .. " calls per second"), name .. ": no documented limit")
      end
      for _, p in ipairs(entry.params) do
        local at = method:find('<span class="parameter">' .. p[1] .. "</span>", 1, true)
        assert.is_number(at, name .. ": parameter " .. p[1] .. " is not documented")
        local text = method:sub(at, (method:find("</li>", at, true)))
        assert.is_true(contains(text, "<code>" .. p[2] .. "</code>"), p[1] .. ": no API name")
        -- LDoc marks parameters documented as [opt] "(<em>optional</em>)"
        assert.equal(not p.required, contains(text, "<em>optional</em>"),
          name .. ": " .. p[1] .. " is not marked as it should be")
        if p.required then
          assert.is_true(contains(text, "required"), name .. ": " .. p[1] .. " is required")
        end
        for _, v in ipairs(p.enum or {}) do
          assert.is_true(contains(unescape(text), '"' .. v .. '"'), p[1] .. ": value " .. v)
        end
      end
    end
  end)

  it("documents every method of the client and the functions of the module", function()
    local client, module = page("classes/cams.client"), page("modules/cams")
    for _, method in ipairs{ "call", "prepare", "update_many", "close", "__tostring",
      "__close" } do
      item(client, "cams.client:" .. method)
    end
    item(client, "cams.client.credentials_source")
    for _, name in ipairs{ "new", "call", "VERSION", "API_VERSION", "operations" } do
      item(module, name)
      assert.is_not_nil(cams[name], "cams." .. name .. " is documented but does not exist")
    end
    local redact = page("modules/cams.redact")
    for name, v in pairs(require "cams.redact") do
      item(redact, name)
      assert.is_true(type(v) == "function" or name == "MARK")
    end
  end)

  it("documents each option cams.new accepts, and only those", function()
    local documented = {}
    local new = item(page("modules/cams"), "new")
    for name in new:gmatch('<span class="parameter">([%w_]+)</span>') do
      documented[name] = true
    end
    documented.opts = nil -- the table itself
    -- cams.new lists the options it knows when it meets one far from all of them
    local _, err = cams.new{ no_such_option_at_all = true }
    local known = tostring(err and err.message):match("known options: (.*)$")
    assert.is_string(known, "cams.new no longer lists its options: " .. tostring(err))
    local accepted = {}
    for name in known:gmatch("[%w_]+") do
      accepted[name] = true
    end
    assert.same(sorted_keys(accepted), sorted_keys(documented))
  end)

  it("lists the error codes and fields of the README's tables", function()
    local readme = assert(read_file("README.md"))
    local function readme_table(header)
      local at = assert(readme:find(header, 1, true), "README: no table " .. header)
      local names = {}
      for row in readme:sub(at):match("^[^\n]*\n[^\n]*\n(.-)\n\n"):gmatch("[^\n]+") do
        for name in row:match("^|([^|]*)|"):gmatch("`([^`]+)`") do
          names[#names + 1] = name
        end
      end
      table.sort(names)
      return names
    end
    local html = page("classes/cams.error")
    local codes = {}
    for row in html:gmatch("<tr>(.-)</tr>") do
      local first = row:match("<td>(.-)</td>")
      for code in (first or ""):gmatch("<code>(.-)</code>") do
        codes[#codes + 1] = unescape(code)
      end
    end
    table.sort(codes)
    assert.same(readme_table("| code | where it comes from |"), codes)
    for _, field in ipairs(readme_table("| field | meaning |")) do
      item(html, "cams.error." .. field)
    end
    for _, method in ipairs{ "__tostring", "__concat" } do
      item(html, "cams.error:" .. method)
    end
  end)
end)
