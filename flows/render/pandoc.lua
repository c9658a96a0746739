-- A long-lived Pandoc for the render stage: `pandoc lua pandoc_server.lua`, driven by
-- flows/pandoc_server.py. One process converts many documents, so a build pays Pandoc's start-up
-- once per worker instead of once per format and document, and reads each edition source once
-- for its three formats.
--
-- Protocol, on stdin/stdout: a request is one line of JSON (the writer's options and the
-- `length` of the source) followed by that many bytes of Pandoc Markdown; the answer is one line
-- of JSON (`ok`, `length`, `warnings`, or `error`) followed by that many bytes of output.
--
-- Nothing in a source may make Pandoc read a file, as `pandoc --sandbox` guarantees on the
-- command line: the reader runs in pandoc.read's sandbox (an empty file system); before any
-- writer runs, every image is replaced by its description unless the request allows remote
-- images (http/https, which the writers link and never fetch), and the metadata fields that
-- make the EPUB writer read files are dropped.

local READER = arg[1] or 'markdown'

-- Metadata fields that name files a writer would read.
local FILE_FIELDS = { 'cover-image', 'epub-cover-image', 'css', 'stylesheet', 'epub-fonts',
                      'bibliography', 'csl', 'citation-abbreviations', 'include-before',
                      'include-after', 'header-includes' }

local last_source, last_doc, last_warnings = nil, nil, {}

local function texts(messages)
  local out = {}
  for _, m in ipairs(messages) do
    local ok, decoded = pcall(pandoc.json.decode, pandoc.json.encode(m), false)
    if ok and decoded.verbosity == 'WARNING' then table.insert(out, decoded.pretty) end
  end
  return out
end

local function parse(source)
  if source ~= last_source then
    local messages, doc = pandoc.log.silence(pandoc.read, source, READER, nil, {})
    last_source, last_doc, last_warnings = source, doc, texts(messages)
  end
  return last_doc:clone(), last_warnings
end

local function remote(src)
  return src:match('^https?://') ~= nil
end

-- Images become their description; with `images` allowed, remote ones stay (as links to them).
local function no_local_images(doc, allow_remote, warnings)
  return doc:walk {
    Image = function(img)
      if allow_remote and remote(img.src) then return nil end
      table.insert(warnings, 'image not embedded, its description kept: ' .. img.src)
      return pandoc.Span(img.caption)
    end,
  }
end

local function slurp(path)
  local f = io.open(path, 'rb')
  if not f then return nil end
  local text = f:read('a')
  f:close()
  return text
end

-- Compiled templates, kept while neither the template nor a file beside it (its partials)
-- changes: a user may edit them between two builds of one process. Pandoc's own defaults
-- (the EPUB's) never change: compiled once.
local compiled, defaults = {}, {}

local function template(path, format)
  if not path then
    defaults[format] = defaults[format] or pandoc.template.compile(pandoc.template.default(format))
    return defaults[format]
  end
  local dir = pandoc.path.directory(path)
  local parts = { assert(slurp(path), 'cannot read template ' .. path) }
  local names = pandoc.system.list_directory(dir)
  table.sort(names)
  for _, name in ipairs(names) do
    table.insert(parts, name .. '\0' .. (slurp(pandoc.path.join { dir, name }) or ''))
  end
  local key = table.concat(parts, '\0')
  local entry = compiled[path]
  if not entry or entry.key ~= key then
    entry = { key = key, template = pandoc.template.compile(parts[1], path) }
    compiled[path] = entry
  end
  return entry.template
end

local function convert(req, source)
  local doc, warnings = parse(source)
  local own = {}
  for _, w in ipairs(warnings) do table.insert(own, w) end
  for _, field in ipairs(FILE_FIELDS) do doc.meta[field] = nil end
  -- The EPUB writer fetches every image it can; the others only link them.
  doc = no_local_images(doc, req.remote_images and req.to ~= 'epub3', own)
  -- Like `-M key=value` on the command line: set, and a repeated key makes a list.
  local given = {}
  for _, pair in ipairs(req.meta) do
    local key, value = pair[1], pair[2]
    if given[key] == nil then
      given[key] = value
    elseif type(given[key]) == 'table' then
      table.insert(given[key], value)
    else
      given[key] = { given[key], value }
    end
  end
  for key, value in pairs(given) do doc.meta[key] = value end
  for _, path in ipairs(req.filters) do  -- as --lua-filter runs them, FORMAT set
    doc = pandoc.utils.run_lua_filter(doc, path, setmetatable({ FORMAT = req.to }, { __index = _G }))
  end
  local options = {  -- every field is sent (pandoc_server.Request holds the defaults)
    template = template(req.template, req.to),
    table_of_contents = req.toc,
    toc_depth = req.toc_depth,
    reference_location = req.reference_location,
    split_level = req.split_level,
    -- Formulas (Math elements, which only the cleaner's formulas become) as MathML in HTML and
    -- EPUB; the typst writer sets them as typst math whatever this says.
    html_math_method = 'mathml',
    variables = {},
  }
  for _, pair in ipairs(req.variables) do options.variables[pair[1]] = pair[2] end
  -- JSON numbers decode as floats: tostring would give "1699920000.0", which Pandoc rejects
  -- (and then takes the clock's time).
  local env = { SOURCE_DATE_EPOCH = string.format('%d', req.epoch) }
  local messages, out = pandoc.log.silence(function ()
    return pandoc.system.with_environment(env, function ()
      return pandoc.write(doc, req.to, options)
    end)
  end)
  for _, w in ipairs(texts(messages)) do table.insert(own, w) end
  return out, own
end

local stdin, stdout = io.stdin, io.stdout
-- stdout carries the answers: a filter's print() or io.write() goes to stderr instead.
print = function(...)
  local parts = table.pack(...)
  for i = 1, parts.n do parts[i] = tostring(parts[i]) end
  io.stderr:write(table.concat(parts, '\t', 1, parts.n), '\n')
end
io.write = function(...) return io.stderr:write(...) end

local function answer(header, body)
  header.length = #(body or '')
  stdout:write(pandoc.json.encode(header), '\n', body or '')
  stdout:flush()
end

while true do
  local line = stdin:read('l')
  if not line then break end
  local ok, req = pcall(pandoc.json.decode, line, false)
  if not ok or type(req) ~= 'table' then
    answer({ ok = false, error = 'bad request: ' .. tostring(line):sub(1, 200) })
  else
    local source = req.length > 0 and stdin:read(req.length) or ''
    local done, out, warnings = pcall(convert, req, source)
    if done then
      answer({ ok = true, warnings = warnings }, out)
    else
      answer({ ok = false, error = tostring(out) })
    end
  end
end
