"""Pattern constants for the cleaner and the footnote stage, compiled once.

They describe what pages look like when copied out of a browser (WordPress, Blogger, Drupal…),
not what two particular files contain. Every pattern is matched against one block of text whose
spaces are already normalised.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

_NUMBER_WORD = r"(?:\d+|no|one|two|three|four|five|six|seven|eight|nine|ten)"

#: The line that heads one reader comment: "Jane says:", "Jane said...", with the date after it.
COMMENT_AUTHOR = re.compile(
    r"^.{1,80} (says|said|wrote)( on .{1,40})?(:|\s?\.\.\.|…)(\s.{0,60}\d(\s?[ap]\.?m\.?)?)?$", _I
)

#: A block that opens the comment section: everything from it to the end is reader comments,
#: the reply form, or the site around them.
COMMENT_SECTION_START = tuple(
    re.compile(p, _I)
    for p in (
        r"^leave a (reply|comment)\b",
        r"^(post|add|write|submit) a (new )?(comment|reply)\b",
        r"^add new comment$",
        r"^your email address will not be published\b",
        r"^you must be logged in to post a comment\b",
        r"^log in or register to post comments\b",
        r"^comments are closed\b",
        rf"^{_NUMBER_WORD} (thoughts?|responses?|comments?|replies|reactions?) (on|to)\b",
        rf"^{_NUMBER_WORD} (comments?|responses?|replies):?$",
        r"^(comments?|responses?|discussion)( \(\d+\))?:?$",
        # … and in the corpus's other languages: es/pt, de, fr, it, nl, da/no/sv, pl, tr, ru, zh, ja
        r"^(comentar(ios)?|coment[aá]rios|kommentare?|kommentar(er)?|commentaires?|commenti|"
        r"reacties|komentarze|yorumlar|комментарии|评论|留言|コメント)( \(\d+\))?:?$",
        r"^subscribe to: post comments\b",
        r"^(show|view|load|read) (all )?(\d+ )?(comments|responses)\b",
        r"^(leave|post|add|write) (a |your )?(comment|reply|response)s?\b",
        r"^(trackbacks?|pingbacks?)( and pingbacks?)?:?$",
        r"^(comments|responses|replies) (are|is) (closed|disabled)\b",
        r"^trackback url\b|^listed below are links to (weblogs|sites) that reference\b",
        r"^subscribe to (the )?comments\b",
    )
) + (COMMENT_AUTHOR,)

#: A line that news sites also put inside an article, before a box of teasers (English, German,
#: French, Spanish, Italian, Dutch, Portuguese, Polish, Czech, the Scandinavian languages,
#: Russian, Turkish, Arabic, Hindi, Indonesian, Vietnamese, Latvian, Swahili, Japanese, Korean,
#: Thai): it ends the article only when headlines follow it.
MAYBE_RELATED = re.compile(
    r"^(read (next|more)|most (popular|read|viewed) in [\w .'’-]{2,30}|"
    r"more( great)? [\w.'’-]{2,20} stories|you (may|might) also be interested in|"
    r"weiterlesen|mehr lesen|auch interessant|das könnte sie (auch )?interessieren|mehr zum thema|"
    r"weitere artikel|lesen sie (auch|mehr)|meistgelesen|"
    r"lire la suite|lire plus|(à )?lire aussi|sur le même sujet|articles similaires|"
    r"leer más|(noticias|artículos) relacionad[oa]s|te puede interesar|lee también|"
    r"leggi (anche|tutto)|articoli correlati|potrebbe interessarti|"
    r"lees (meer|ook)|gerelateerde artikelen|leia (mais|também)|(notícias|artigos) relacionad[oa]s|"
    r"veja também|czytaj (więcej|też|także)|zobacz (też|także)|čtěte (také|dále)|"
    r"související články|mohlo by vás zajímat|läs (mer|också)|relaterade artiklar|"
    r"les (mer|også)|relaterte (saker|artikler)|læs (mere|også)|"
    r"читать далее|читайте (также|ещё)|похожие (новости|статьи)|по теме|"
    r"ilgili haberler|bunlar da ilginizi çekebilir|اقرأ أيضا[ًً]?|(مواضيع|أخبار|مقالات) ذات صلة|"
    r"(ये|यह) भी पढ़ें|संबंधित (खबरें|ख़बरें|लेख)|baca juga|(berita|artikel) terkait|"
    r"(tin|bài( viết)?) liên quan|xem thêm|lasi arī|saistītie raksti|habari zinazohusiana|"
    r"あわせて読みたい|관련\s?기사|(เรื่อง|ข่าว)ที่เกี่ยวข้อง)"
    r"\s*[:.…：]*$",
    _I,
)

#: A short line after which a page lists other articles, not this one: everything from it on goes
#: (a :data:`MAYBE_RELATED` line only when headlines follow).
RELATED_START = re.compile(
    r"^(also on [\w .'’-]{2,40}|more (from|on|in) [\w .'’-]{2,40}|related (posts?|articles|"
    r"stories|content|links|reading)|you (may|might) also (like|enjoy)|recommended( for you| "
    r"reading)?|more stories|most (popular|read|viewed)|trending( now)?|popular (posts|stories)|"
    r"what to read next|further reading|loading slideshow|"
    r"follow (us|me)( on [\w .]{2,30})?!?|connect with (us|me)|share this (post|article|story)|"
    r"相关(报道|新闻|文章|阅读|链接)|延伸阅读|推荐阅读|関連記事|関連ニュース)"
    r"\s*[:.…：]*$"
    rf"|{MAYBE_RELATED.pattern}",
    _I,
)

#: A line of links to the post before and after this one, or back ("« Previous Post | Next post
#: »", "< Prev", "[上一篇] [下一篇]", "← 返回"): each part a word of the kind, in brackets,
#: arrows or bars.
_PAGER_WORD = (
    r"((previous|prev|next|older|newer)( (post|article|entry|page|story|posts|articles|"
    r"entries))?|上一篇|下一篇|上一页|下一页|上章|下章|返回(目录|首页|顶部)?)"
)
_PAGER_GAP = r"[\s«‹<←»›>→|/\[\]【】·:-]*"
# One gap between two words, never two in a row: two runs of the same characters side by side
# could share a gap between them in exponentially many ways (a line of 15 "next"s took 6 s).
PAGER = re.compile(rf"^{_PAGER_GAP}{_PAGER_WORD}({_PAGER_GAP}{_PAGER_WORD})*{_PAGER_GAP}$", _I)

#: A breadcrumb: where the page stands in the site, three or more short names joined by ">" or
#: "»" ("Home > Health > Breast Cancer", "You are here: BBC » Science & Nature » Animals",
#: "当前位置：首页>>会议>>秘书处"). No name holds a sentence's end or a colon. A name ends with a
#: character that is no space, so the spaces around a ">" are the separator's alone and a line
#: that is almost one is refused at once. Some name has two letters ("a > b > c" is algebra).
_CRUMB = r"[^\s>»›＞.!?。！？:：;|][^>»›＞.!?。！？:：;|]{0,38}(?<=[^\s])"
_CRUMB_SEPARATOR = r"\s*(?:>>?|»|›|＞＞?)\s*"
_HERE = (
    r"(?:you are here|sie sind hier|vous êtes ici|usted está en|当前位置|您的位置|你的位置|"
    r"現在位置|현재 위치)\s*[:：]\s*"
)
#: After a "you are here" label, two names are enough, and a bar or a slash joins them too
#: ("当前位置： 首页｜新华社记者看东北｜人物专访", "You are here: Home / News").
_LABELLED_CRUMB = r"[^\s>»›＞.!?。！？:：;|｜/][^>»›＞.!?。！？:：;|｜/]{0,38}(?<=[^\s])"
BREADCRUMB = re.compile(
    rf"^(?=.*[^\W\d_]{{2}})(?:{_HERE})?{_CRUMB}(?:{_CRUMB_SEPARATOR}{_CRUMB}){{2,}}$"
    rf"|^{_HERE}{_LABELLED_CRUMB}(?:\s*(?:>>?|»|›|＞＞?|[|｜/])\s*{_LABELLED_CRUMB})+$",
    _I,
)

#: A post's footer: after it comes the blog around the post, not the post.
POST_FOOTER = re.compile(
    r"^(posted (by|on|at|in) .{0,80}(permalink|\bcomments?\b|trackbacks?|\bshare\b)|"
    r"(posted|filed) (in|under) .{1,80}\|.{0,80}(tagged|comments?|permalink)|"
    r"posted by .{1,60} (at|on) .{0,40}\d{1,2}[:.]\d{2}\s*([ap]\.?m\.?)?$)",
    _I,
)

#: The line that signs one reader comment in Movable Type, TypePad and others:
#: "Posted by: Jane | March 26, 2007 2:00 PM". The article's own "Posted by Jane on …" has no colon.
COMMENT_SIGNATURE = re.compile(r"^posted by: .{1,80}?(\bat\b|\bon\b|\|).{0,40}\d", _I)

#: The reply form and thread furniture, dropped from the comments kept with ``--keep-comments``.
COMMENT_FORM = tuple(
    re.compile(p, _I)
    for p in (
        r"^reply( ↓)?$",
        r"^leave a (reply|comment)\b",
        r"^cancel reply$",
        r"your email address will not be published",
        r"required fields are marked",
        r"^(comment|name|email|e-mail|website|url)\s*\*?$",
        r"^save my name\b",
        r"^notify me of\b",
        r"^(post|add|submit) (a )?(new )?comment$",
        r"^subscribe to: post comments\b",
        r"^log in or register to post comments\b",
        r"^you must be logged in\b",
        r"^comments are closed\b",
        r"^(newer post older post|older post newer post)\b",
        r"^\d+ (thoughts?|responses?|comments?|replies)\b",
        r"^(comments?|responses?|discussion)( \(\d+\))?:?$",
        r"^(load|show|view) (more|all) (comments|replies)\b",
    )
)

#: Where the reply form (and after it the site's footer) starts, below the comments.
REPLY_FORM_START = re.compile(
    r"^(leave a (reply|comment)|post a comment|add new comment|(post|add|write) (a |your )?"
    r"(comment|reply)|newer post|older post|subscribe to: post comments|"
    r"your email address will not be published|you must be logged in)",
    _I,
)

#: A numbered reader comment as a browser copies an ``<ol class="commentlist">``.
COMMENT_LIST_ITEM = re.compile(r"^\d{1,3}\.\s+\S")

#: Site furniture that is never part of an article, when it stands as a short block of its own.
CHROME = tuple(
    re.compile(p, _I)
    for p in (
        r"^(©|\(c\)|copyright\b)",
        r"\ball rights reserved\b",
        r"^(proudly )?powered by\b",
        r"\btheme (by|:)",
        r"^(back to|return to) top$",
        r"^skip to (main )?(content|navigation)$",
        r"^(main |primary )?(menu|navigation)$",
        r"^search( for| this site)?:?$",
        r"^(share|like) this:?$",
        r"^like loading",
        r"^(share|tweet|email|print|facebook|twitter|reddit|linkedin|whatsapp|telegram|"
        r"pinterest|tumblr|pocket|mastodon)(\s*\(\w+\))?$",
        r"^click to (share|email|print)\b",
        r"^print friendly\b",
        r"^related( posts| articles)?:?$",
        r"^(previous|next|older|newer) (post|article|entry)\b",
        r"^newer post older post\b",
        r"^(newer|older) posts?$",
        r"^(posted|filed) (in|under)\b",
        r"^labels?:",
        r"^posted (by|on|at|in) .{0,80}(permalink|\bcomments?\b|trackbacks?)",
        r"^«.{0,120}\|\s*main\b|\bmain\s*\|.{0,120}»$",
        r"^(tags?|categor(y|ies)|labels?|filed under)\s*:?$",
        r"^home\s*[»›>/|]",
        r"^posted by .{1,60} at \d{1,2}[:.]\d{2}\s*([ap]\.?m\.?)?$",
        r"^email this\b|^blogthis!|^share to (twitter|facebook|pinterest)\b",
        r"^post comment$",
        r"^(\d+|no) (likes?|reblogs?|shares?)$",
        r"^(loading|loading\.\.\.|loading…)$",
        r"^(rate this|share on|follow us( on)?)\b",
        # The corrections and standards footer: "Spotted an error? Report it", "Fehler
        # gefunden? Jetzt melden.", "Our Standards: The … Trust Principles."
        r"^(spotted|found|see|notice[d]?) (an? )?(error|mistake|typo)\b.{0,40}$|"
        r"^(report|submit) (an? )?(error|mistake|typo|correction)\b.{0,40}$|"
        r"^(fehler (gefunden|entdeckt|melden)|erreur signalée|signaler une erreur)\b.{0,40}$|"
        r"^(our|editorial) (standards|guidelines)\s*:",
        r"^(sign up|subscribe)( now)? (for|to) (our |the )?[\w '’-]{0,40}(newsletters?|e-?mails|"
        r"mailing list)\b",
        r"^follow [\w .'’-]{2,40} on (instagram|facebook|twitter|x|youtube|tiktok|linkedin|"
        r"whatsapp|telegram|threads|bluesky|mastodon)\b",
        r"^(tags?|categor(y|ies)|topics?|themen|schlagw(ö|oe)rter|tagged( with)?|more on)\s*:",
        # The same label in other languages ("Etiketler :", "Mots-clés :", "标签：").
        r"^(etiketler|etiquetas|étiquettes|mots[ -]clés|tagi|štítky|taggar|emneord|метки|теги|"
        r"parole chiave|trefwoorden|palavras[ -]chave|kata kunci|từ khóa|标签|关键词|タグ|태그)"
        r"\s*[:：]",
        r"\b(this (web)?site|we) uses? cookies\b",
        r"^(accept|reject)( all)? cookies$",
        r"^subscribe( to our newsletter)?$",
        r"^(home|about( us)?|contact( us)?|archives?|blog|donate|login|log in|register)$",
        # Chinese and Japanese sites' footers and log-in furniture: licence numbers (ICP, public
        # security filing), copyright notes, member log-in prompts. Not the editor's line at
        # a report's end ("（编辑：…）", "【责任编辑：…】"): it is the report's, as its source line
        # ("来源：新华网") is, and Chinese news text keeps both.
        r"ICP备|公网安备|网络传播视听节目许可证|版权(所有|说明|声明|保护)[:：]",
        r"^\W*(分享(到|让更多人看到)|打印(本页|本稿)?|关闭(窗口)?)\W*$",
        r"^[＞>]?\s*(新規会員登録|会員登録|ログイン|無料会員登録)$|会員登録が必要です$|^(evernote|記事)保存$",
        r"^(有料会員|会員)の方のみ|この記事は(有料)?会員限定です",
    )
) + (PAGER, BREADCRUMB)

_MINUTES = (
    r"(<\s*)?\d{1,3}\s*(min|mins|minutes?|minuten|minutos?|minut[io]|minuty|minutter|minuter|"
    r"минут[аы]?)\.?"
)

#: A line a news site puts between an article's paragraphs, never the article's own when it
#: stands as a block of its own: an advertisement's label, a skip link past it, a screen
#: reader's "Start Quote" around a pull-quote (English, then de, fr, es, it, nl, ru, zh, ja).
INTERSTITIAL = re.compile(
    r"^(advertisement|advertisements|sponsored|ad|"
    r"(continue|keep) reading( the main story| below)?|"
    r"(the )?(story|article) continues (below|after)( (this |the )?advertisement)?|"
    r"skip (advertisement|ad)|scroll to continue( with content)?|(start|end) quote|"
    r"anzeige|werbung|publicité|publicidad|pubblicità|advertentie|реклама|广告|広告|"
    r"passer la publicité|(order|buy) reprints|print (this )?article|copy link)$"
    # A share button's, a copy-link button's or its toast's, a subscribe button's words, in the
    # languages above and tr, pl, cs, sv, no, ko, hi, id, vi.
    r"|^((artikel )?teilen|partager( l['’]article)?|compartir|compartilhar|condividi|"
    r"udostępnij|sdílet|paylaş|поделиться|分享|(この(記事|ニュース)を)?シェア(する)?|공유하기|"
    r"bagikan|chia sẻ|link kopieren|copier le lien|copiar (el )?(enlace|link)|copia link|"
    r"link kopiëren|kopiuj link|kopírovat odkaz|kopiera länk|kopier lenke|"
    r"bağlantıyı kopyala|скопировать ссылку|复制链接|リンクをコピー|링크 복사|कॉपी लिंक|"
    r"salin tautan|sao chép liên kết|(the )?link (was )?copied( to (the )?clipboard)?|"
    r"link kopiert|lien copié|链接已复制|(기사 )?url이 복사되었습니다|abone ol|"
    r"abonnieren|s['’]abonner|suscr[ií]bete|подписаться)$"
    # A newsletter's sign-up line: "Ground Game: Sign up for AP’s weekly politics newsletter to
    # get it in your inbox every Monday.", "Get the latest news from example.com in your inbox."
    r"|^([\w’' -]{1,40}:\s*)?(sign up|subscribe)\b.{0,160}\b(newsletters?|inbox)\b.{0,100}$"
    r"|^(get|receive|let)\b.{0,80}\b(news|headlines|stories|newsletter)\b.{0,80}\binbox\b.{0,100}$"
    # A reading time: "5 min read", "Lesedauer: 4 Minuten", "Tempo de leitura: 2 minutos".
    rf"|^({_MINUTES}\s*(read|de lectura|de leitura|di lettura|lesezeit)|(estimated )?(reading "
    r"time|read time|lesedauer|lesezeit|leestijd|tempo de leitura|tiempo de lectura|temps de "
    rf"lecture|tempo di lettura|czas czytania|lästid|lesetid|время чтения)\s*:?\s*(ca\.\s*|about "
    rf")?{_MINUTES})$",
    _I,
)

#: A Chinese site's row of buttons around an article: two or more of them in 【】, ［］ or [],
#: after a short label ("页面功能【我来说两句(0)】【收藏本文】【打印】【关闭】"), or one print
#: or close button alone ("【打印本稿】", "[打印]"). One bracketed word alone is no toolbar:
#: "【背景】" heads a section.
_BUTTON = (
    r"(?:[【［]\s*[^【】［］\[\]]{1,12}?\s*[】］]"
    r"|\[\s*[\u2e80-\u9fff][^【】［］\[\]]{0,11}?\s*\])"
)
TOOLBAR = re.compile(
    rf"^(?:[^\s【】［］\[\]]{{1,6}}[:：]?\s*)?(?:{_BUTTON}\s*){{2,}}$"
    r"|^[【［\[]\s*(?:打印|关闭|收藏|纠错)[^【】［］\[\]]{0,4}[】］\]]$"
)

#: A teaser of another article inside this one: a sentence or two, then a bare "more" (its
#: link's text), as news sites set them between paragraphs (English, de, fr, es, it, nl, ru).
TEASER_MORE = re.compile(
    r"[.!?…\"”»]\s+(more|read more|mehr|weiterlesen|mehr lesen|lire la suite|lire plus|"
    r"leer más|seguir leyendo|continua a leggere|leggi tutto|lees meer|подробнее|читать далее)"
    r"\s*[»›>→…]*$",
    _I,
)

#: The label of a line that is only a link to another article: "MORE: …", "Read also: …",
#: "Lesen Sie auch: …", "Baca juga: …" (English, de, fr, es, it, nl, sv, no, pl, ru, ar, hi, id,
#: vi, lv).
LINK_LABEL = re.compile(
    r"^\W*(more|read more|read also|also read|related|lesen sie auch|mehr zum thema|"
    r"auch interessant|lire aussi|à lire aussi|leer también|lee también|leggi anche|lees ook|"
    r"läs också|les også|czytaj (też|także)|читайте также|اقرأ أيضا[ًً]?|(ये|यह) भी पढ़ें|"
    r"baca juga|xem thêm|lasi arī)\s*[:：]",
    _I,
)

#: A clock time, not a part of a numeric date ("16:11", "10.30", "9h30").
CLOCK = re.compile(r"(?<![\d.:/])\d{1,2}[:.h]\d{2}(?![\d.:/])")
#: What a time stamp says besides its date and time: time zones and "o'clock" words.
CLOCK_WORDS = re.compile(
    r"\b(uhr|gmt|utc|cet|cest|bst|est|edt|pst|pdt|am|pm|a\.m\.|p\.m\.|h)\b", _I
)

#: The end of a sentence or clause in the scripts of the texts we meet (Latin, Greek, Cyrillic,
#: CJK, Arabic and Persian, Urdu, Devanagari, Armenian, Ethiopic, Hebrew), maybe inside closing
#: quotes or brackets: a line ending so is text, not a heading.
CLAUSE_END = re.compile(r"[.!?;:,。．！？；：，、؟،؛۔।॥։።፧׃…][\"'”’»›」』）)\]]*$")
#: A question or exclamation at the end of a line.
QUESTION_END = re.compile(r"[?!？！؟][\"'”’»›」』）)\]]*$")
#: What may open a heading before its first letter: quotes and brackets.
OPENING_PUNCTUATION = "\"'“‘„«‹「『（([¿¡"

#: A month, in the languages of the corpus so far (English first; then French, German, Spanish,
#: Italian and Russian in both its cases: "Январь 2017", "18 марта 2017"). Recognising a date line
#: is all this does: flows.read.dates reads it.
MONTH = (
    r"(?:jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|june?|july?|"
    r"aug(?:ust|\.)?|sep(?:t(?:ember)?|\.)?|oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?|"
    r"janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre|"
    r"januar|februar|märz|juni|juli|oktober|dezember|"
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|"
    r"gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|"
    r"январ[ья]|феврал[ья]|марта?|апрел[ья]|ма[йя]|июн[ья]|июл[ья]|августа?|сентябр[ья]|"
    r"октябр[ья]|ноябр[ья]|декабр[ья])"
)

#: A date: "January 2017", "12 March 1921", "March 12, 1921", an ISO date, a numeric one
#: ("12.03.1921"), a Chinese or Japanese one ("1921年3月12日").
_DATE = (
    rf"(?:\d{{1,2}}(?:st|nd|rd|th|\.)?\s+)?{MONTH}\s+(?:\d{{1,2}}(?:st|nd|rd|th)?,?\s+)?"
    rf"\d{{4}}(?:\s+г\.)?"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}[./]\d{{1,2}}[./]\d{{4}}"
    rf"|\d{{4}}\s*年\s*\d{{1,2}}\s*月(?:\s*\d{{1,2}}\s*日)?"
)

#: A dateline: a date alone, or after a place ("Moscow, April 1918"). The place may be in any
#: script (its case says nothing in Arabic or Chinese), before a comma of its script.
DATELINE = re.compile(
    rf"^(?:(?P<place>[^\W\d_][\w.'’ -]{{0,30}})[,،，、]\s*)?(?P<date>{_DATE})[.。]?$", _I
)

#: A date inside a line ("Stand: 28.04.2023 16:11 Uhr").
DATE_IN_LINE = re.compile(rf"(?<!\w)(?:{_DATE})", _I)

#: "By Jane Doe", "Posted on March 18, 2021 by Jane Doe" at the head of an article.
BYLINE = re.compile(
    r"^(?:(?:posted|published|written) on (?P<date>.{4,40}?)\s+)?"
    r"by\s+(?P<name>[A-Z][\w.'’ -]{1,60})$",
    _I,
)
#: A report's credit line, at its end: "(Reporting by Will Dunham; Editing by Tom Brown)",
#: "Additional reporting by Joseph Hudak", "Jane Doe contributed to this report." Wire services
#: and newspapers set it after the last paragraph; an edition prints it in its colophon. Besides
#: the names and places (capitals), only :data:`CREDIT_WORDS` are in it: not a sentence.
CREDIT_LINE = re.compile(
    r"^[(\[—–-]*\s*(?:(?:additional |with )?reporting (?:by|from)\b.*"
    r"|.*\bcontributed (?:reporting\b.*|to (?:this|the) (?:report|story|article)"
    r"|to the reporting of this (?:story|report|article)|to (?:this|the) reporting)"
    r"|with (?:additional )?reports from\b.*)[.)\]]*$",
    _I,
)
#: A report's source or its news agencies' tag, as the last line: "SOURCE: Al Jazeera News",
#: "(Quelle: APA/sda/dpa)", "Fuente: EFE", "SDA/sep", "(dpa)" (English, de, es, fr, it, pt, nl,
#: the Scandinavian languages, pl, cs). The agencies' short names are often lower case.
SOURCE_LINE = re.compile(
    r"^[(\[]?\s*(?:(?:sources?|quellen?|fuentes?|fontes?|bron|kilde|källa|źródło|zdroj)\s*:\s*"
    r"[^\s:][^:]{0,60}|[a-z]{2,5}\s*\)|[a-z]{2,5}(?:\s*/\s*[a-z]{2,5}){1,4}\s*\)?)[.\])]*$",
    _I,
)
CREDIT_WORDS = frozenset(
    "additional reporting by from with editing edited writing and in at for the of this to "
    "contributed report reports story article writer writers reporter reporters correspondent "
    "correspondents staff also de von van der da la le del".split()
)

#: Drupal's "Submitted by Jane Doe on Tue, 12/02/2019 - 10:00".
SUBMITTED_BY = re.compile(r"^submitted by (?P<name>.{1,60}?) on (?P<date>.{4,40})$", _I)

#: "Posted on March 18, 2021" without a name.
POSTED_ON = re.compile(r"^(?:posted|published) on (?P<date>.{4,40})$", _I)

#: Words that may stand lower-case inside a personal name.
NAME_PARTICLES = frozenset({"von", "van", "de", "der", "den", "la", "le", "du", "da", "di", "del",
                            "bin", "ibn", "al", "y", "e"})  # fmt: skip

#: The label that opens one note of a notes list: "[12] ".
NOTE_LABEL = re.compile(r"^\[(?P<n>\d+)\]\s*")
