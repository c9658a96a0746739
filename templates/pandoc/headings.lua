-- Headings that never skip a level on the way down: a page whose only heading was an <h3>, or
-- that went from <h2> to <h4>, gets h2 / h3. Screen readers list headings by level, and an
-- outline with a gap (h1, then h3) is what DAISY Ace and axe report as `heading-order`. The
-- edition's title is the level-1 heading above the text (HTML template, EPUB chapter, PDF
-- title page), so the text's first heading may be at most level 2, or 1 for an anthology's
-- chapter. Levels only move up, never down: the order and nesting stay the page's.
function Pandoc(doc)
  local last = 1
  doc.blocks = doc.blocks:walk {
    traverse = 'topdown',  -- document order
    Header = function(h)
      if h.level > last + 1 then h.level = last + 1 end
      last = h.level
      return h
    end,
  }
  return doc
end
