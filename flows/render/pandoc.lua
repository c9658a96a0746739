-- A long-lived Pandoc for the render stage: `pandoc lua pandoc_server.lua`, driven by
-- flows/pandoc_server.py. One process converts many documents, so a build pays Pandoc's start-up
-- once per worker instead of once per format and document, and reads each edition source once
-- for its three formats.
--
-- Protocol, on stdin/stdout: a request is one line of JSON (the writer's options and the
-- `length` of the source) followed by that many bytes of Pandoc Markdown; the answer is one line
-- of JSON (`ok`, `length`, `warnings`, or `error`) followed by that many bytes of output.
--
-- The request's `images` ([name, mime type, length], their bytes after the source's) are the
-- figures the build checked: the HTML embeds them as data: addresses, the EPUB writer takes them
-- from the media bag, the typst writer names them (typst reads them from its own root).
--
-- Nothing in a source may make Pandoc read a file or fetch an address, as `pandoc --sandbox`
-- guarantees on the command line: the reader runs in pandoc.read's sandbox (an empty file
-- system); before any writer runs, every image the request did not hand over is replaced by its
-- description, and the metadata fields that make the EPUB writer read files are dropped.

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

-- A Typst string literal's content.
local function typst_string(text)
  return (text:gsub('[\\"]', '\\%0'):gsub('%s+', ' '))
end

-- The images the request handed over stay (HTML: embedded; typst: with their description as
-- alt text); any other becomes its description.
local function only_given_images(doc, images, to, warnings)
  return doc:walk {
    Image = function(img)
      local given = images[img.src]
      if not given then
        table.insert(warnings, 'image not embedded, its description kept: ' .. img.src)
        return pandoc.Span(img.caption)
      end
      if to == 'html5' then
        img.src = pandoc.mediabag.make_data_uri(given.mime, given.data)
      elseif to == 'typst' then
        local alt = typst_string(pandoc.utils.stringify(img.caption))
        return pandoc.RawInline('typst', '#image("' .. img.src .. '", alt: "' .. alt .. '")')
      end
      return img
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

local function convert(req, source, images)
  local doc, warnings = parse(source)
  local own = {}
  for _, w in ipairs(warnings) do table.insert(own, w) end
  for _, field in ipairs(FILE_FIELDS) do doc.meta[field] = nil end
  doc = only_given_images(doc, images, req.to, own)
  -- The EPUB writer takes an image from the media bag before it would look anywhere else.
  pandoc.mediabag.empty()
  if req.to == 'epub3' then  -- in the request's order: the same EPUB every time
    for _, entry in ipairs(req.images or {}) do
      local image = images[entry[1]]
      pandoc.mediabag.insert(entry[1], image.mime, image.data)
    end
  end
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
  pandoc.mediabag.empty()
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
    local images = {}
    for _, entry in ipairs(req.images or {}) do  -- read whatever happens, to stay in step
      local name, mime, length = entry[1], entry[2], math.tointeger(entry[3]) or 0
      images[name] = { mime = mime, data = length > 0 and stdin:read(length) or '' }
    end
    local done, out, warnings = pcall(convert, req, source, images)
    if done then
      answer({ ok = true, warnings = warnings }, out)
    else
      answer({ ok = false, error = tostring(out) })
    end
  end
end
