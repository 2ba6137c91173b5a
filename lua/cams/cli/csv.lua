--- CSV as RFC 4180 describes it: comma-separated fields, records ending in CRLF or
-- LF, fields in double quotes may hold commas, line breaks and doubled quotes ("").

local M = {}

local find, sub = string.find, string.sub

--- Records of `text`: a list of { fields..., line = first line number }, or nil and
-- "line N: reason".
function M.parse(text)
  local records = {}
  local pos, n, line = 1, #text, 1
  local record = { line = 1 }
  local field_start_line
  while true do
    local c = sub(text, pos, pos)
    local value
    if c == '"' then
      field_start_line = line
      local parts = {}
      pos = pos + 1
      while true do
        local q = find(text, '"', pos, true)
        if not q then
          return nil, ("line %d: a quoted field is not closed"):format(field_start_line)
        end
        local chunk = sub(text, pos, q - 1)
        local _, breaks = chunk:gsub("\n", "")
        line = line + breaks
        parts[#parts + 1] = chunk
        if sub(text, q + 1, q + 1) == '"' then
          parts[#parts + 1] = '"'
          pos = q + 2
        else
          pos = q + 1
          break
        end
      end
      value = table.concat(parts)
      local after = sub(text, pos, pos)
      if after ~= "," and after ~= "\n" and after ~= "\r" and after ~= "" then
        return nil, ("line %d: unexpected text after a closing quote"):format(line)
      end
    else
      local stop = find(text, "[,\r\n]", pos) or (n + 1)
      value = sub(text, pos, stop - 1)
      if find(value, '"', 1, true) then
        return nil, ('line %d: a quote (") inside an unquoted field; '
          .. 'quote the field and double the quote'):format(line)
      end
      pos = stop
    end
    record[#record + 1] = value
    local sep = sub(text, pos, pos)
    if sep == "," then
      pos = pos + 1
    else
      if sep == "\r" then
        pos = pos + 1
        if sub(text, pos, pos) == "\n" then
          pos = pos + 1
        end
      elseif sep == "\n" then
        pos = pos + 1
      end
      records[#records + 1] = record
      if sep == "" or pos > n then
        break
      end
      line = line + 1
      record = { line = line }
    end
  end
  return records
end

--- One field, quoted when it must be.
function M.field(v)
  v = v == nil and "" or tostring(v)
  if find(v, '[,"\r\n]') or find(v, "^%s") or find(v, "%s$") then
    return '"' .. v:gsub('"', '""') .. '"'
  end
  return v
end

--- One record line (CRLF-terminated, as RFC 4180 writes them).
function M.line(fields)
  local out = {}
  for i = 1, #fields do
    out[i] = M.field(fields[i])
  end
  return table.concat(out, ",") .. "\r\n"
end

return M
