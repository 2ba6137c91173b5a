-- Writes the manual page and the shell completions of the `cams` command from its
-- parser (require("cams.cli").parser()), into the folder given as argument:
--   man/cams.1                  doc/cli/cams.1.in with the synopsis, the commands and
--                               the options filled in
--   completions/cams.bash, completions/_cams, completions/cams.fish
--                               argparse's own bash, zsh and fish completions
--   LUA_PATH='lua/?.lua;;' lua5.4 doc/cli/generate.lua doc
-- The parser is read through the fields argparse 0.7's completion writers read too
-- (_commands, _options, _arguments, _public_aliases, ...). The output depends on nothing
-- but the parser and the template, so any Lua gives the same files.

local out_dir = assert(..., "usage: generate.lua OUTPUT_DIR")
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."

local cams = require "cams"
local parser = require("cams.cli").parser()

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function write(path, s)
  local f = assert(io.open(path, "wb"))
  assert(f:write(s))
  assert(f:close())
end

---------------------------------------------------------------------------
-- roff

-- Text for a roff line: backslashes and dashes escaped (so that options can be copied),
-- and no line starting with a control character.
local function roff(s)
  s = s:gsub("\\", "\\e"):gsub("%-", "\\-")
  return (s:gsub("^([.'])", "\\&%1"):gsub("\n([.'])", "\n\\&%1"))
end

local function bold(s)
  return "\\fB" .. roff(s) .. "\\fR"
end

local function italic(s)
  return "\\fI" .. roff(s) .. "\\fR"
end

-- Paragraphs of a description: argparse separates them with line breaks.
local function paragraphs(text)
  local out = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    if line ~= "" then
      out[#out + 1] = roff(line)
    end
  end
  return table.concat(out, "\n.PP\n")
end

---------------------------------------------------------------------------
-- The parser's elements

local function is_help(option)
  for _, alias in ipairs(option._public_aliases) do
    if alias == "--help" then
      return true
    end
  end
  return false
end

local function visible(list, skip_help)
  local out = {}
  for _, e in ipairs(list or {}) do
    if not e._hidden and not (skip_help and is_help(e)) then
      out[#out + 1] = e
    end
  end
  return out
end

-- The value an option or argument takes: its choices, or its placeholder name.
local function value_of(e, default_name)
  if e._choices then
    local choices = {}
    for i, c in ipairs(e._choices) do
      choices[i] = bold(c)
    end
    return table.concat(choices, "|")
  end
  local name = e._argname or default_name
  return italic((name:gsub("^<(.*)>$", "%1")))
end

local function option_value(o)
  if o._maxargs == 0 then
    return nil
  end
  local long = o._name
  for _, alias in ipairs(o._public_aliases) do
    if alias:sub(1, 2) == "--" then
      long = alias
      break
    end
  end
  return value_of(o, (long:gsub("^%-+", ""):gsub("%-", "_")))
end

local function option_label(o)
  local names = {}
  for i, alias in ipairs(o._public_aliases) do
    names[i] = bold(alias)
  end
  local value = option_value(o)
  return table.concat(names, ", ") .. (value and (" " .. value) or "")
end

local function argument_label(a)
  local label = value_of(a, a._name)
  if a._maxargs > 1 then
    label = label .. "\\ ..."
  end
  if a._minargs == 0 then
    label = "[" .. label .. "]"
  end
  return label
end

-- Leaf commands with their full names ("qrdl update"), in the parser's order.
local function leaves(command, prefix, out)
  for _, c in ipairs(visible(command._commands)) do
    local name = prefix .. c._name
    if #visible(c._commands) > 0 then
      leaves(c, name .. " ", out)
    else
      out[#out + 1] = { name = name, command = c }
    end
  end
  return out
end

local function all_commands(command, prefix, out)
  for _, c in ipairs(visible(command._commands)) do
    out[#out + 1] = { name = prefix .. c._name, command = c }
    all_commands(c, prefix .. c._name .. " ", out)
  end
  return out
end

---------------------------------------------------------------------------
-- Sections

local function synopsis()
  local entries = {}
  for _, leaf in ipairs(leaves(parser, "", {})) do
    local words = { ".B cams", "[" .. italic("options") .. "]", bold(leaf.name) }
    for _, o in ipairs(visible(leaf.command._options, true)) do
      local value = option_value(o)
      local word = bold(o._public_aliases[#o._public_aliases]) .. (value and ("\\ " .. value)
        or "")
      words[#words + 1] = o._mincount > 0 and word or ("[" .. word .. "]")
    end
    for _, a in ipairs(visible(leaf.command._arguments)) do
      words[#words + 1] = argument_label(a)
    end
    entries[#entries + 1] = table.concat(words, "\n")
  end
  return table.concat(entries, "\n.br\n")
end

local function items(list, label, describe)
  local out = {}
  for _, e in ipairs(list) do
    out[#out + 1] = ".TP\n" .. label(e) .. "\n" .. describe(e)
  end
  return out
end

local function option_description(o)
  local text = paragraphs(o._description or "")
  if o._mincount > 0 then
    text = text .. " Required."
  end
  return text
end

-- The root's epilog is the exit status summary, which EXIT STATUS says in full; a command's
-- epilog is shown once, where it first differs from the one already shown.
local function commands()
  local shown = { [parser._epilog or ""] = true }
  local out = {}
  for _, entry in ipairs(all_commands(parser, "", {})) do
    local c = entry.command
    out[#out + 1] = '.SS "cams ' .. roff(entry.name) .. '"'
    out[#out + 1] = paragraphs(c._description or "")
    local list = items(visible(c._arguments), argument_label, function(a)
      return paragraphs(a._description or "")
    end)
    for _, item in ipairs(items(visible(c._options, true), option_label, option_description)) do
      list[#list + 1] = item
    end
    if #list > 0 then
      out[#out + 1] = table.concat(list, "\n")
    end
    if c._epilog and not shown[c._epilog] then
      shown[c._epilog] = true
      out[#out + 1] = ".PP\n" .. paragraphs(c._epilog)
    end
  end
  return table.concat(out, "\n")
end

local function options()
  return table.concat(items(visible(parser._options), option_label, option_description),
    "\n")
end

---------------------------------------------------------------------------
-- Output

local FILLS = {
  VERSION = function() return roff(cams.VERSION) end,
  SYNOPSIS = synopsis,
  COMMANDS = commands,
  OPTIONS = options,
}

local function fill(template)
  return (template:gsub("\n@(%u+)@\n", function(name)
    local make = assert(FILLS[name], "doc/cli/cams.1.in: unknown placeholder @" .. name .. "@")
    return "\n" .. make() .. "\n"
  end):gsub("@VERSION@", FILLS.VERSION))
end

os.execute("mkdir -p '" .. out_dir .. "/man' '" .. out_dir .. "/completions'")
write(out_dir .. "/man/cams.1", fill(read(here .. "/cams.1.in")))
write(out_dir .. "/completions/cams.bash", parser:get_bash_complete())
write(out_dir .. "/completions/_cams", parser:get_zsh_complete())
write(out_dir .. "/completions/cams.fish", parser:get_fish_complete())
