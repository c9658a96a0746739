-- Blocks with a class (::: dateline, ::: signature, ::: colophon, ::: byline, ::: frontmatter)
-- become calls of the Typst functions of the same name that templates/typst/pamphlet.typ defines.
-- HTML and EPUB keep the class.
local known = { dateline = true, signature = true, colophon = true, byline = true,
                frontmatter = true }

function Div(el)
  if FORMAT ~= 'typst' then return nil end
  local class = el.classes[1]
  if not known[class] then return nil end
  local out = { pandoc.RawBlock('typst', '#' .. class .. '[') }
  for _, block in ipairs(el.content) do table.insert(out, block) end
  table.insert(out, pandoc.RawBlock('typst', ']'))
  return out
end

-- A value isolated from the text's direction ([18 March 2021]{dir="ltr"}, written by the
-- colophon in a right-to-left text): HTML and EPUB keep the span (dir makes it a bidi isolate);
-- typst gets Unicode's isolates around it (LRI/RLI/FSI ... PDI), which its bidi honours.
local isolates = { ltr = '\u{2066}', rtl = '\u{2067}' }

function Span(el)
  if FORMAT ~= 'typst' then return nil end
  local dir = el.attributes['dir']
  if not dir then return nil end
  local out = { pandoc.Str(isolates[dir] or '\u{2068}') }
  for _, inline in ipairs(el.content) do table.insert(out, inline) end
  table.insert(out, pandoc.Str('\u{2069}'))
  return out
end
