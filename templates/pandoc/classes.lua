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
