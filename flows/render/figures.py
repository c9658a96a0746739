"""A text's figures (``images``): each image found, checked and named before any format is made.

The clean stage writes a page's images into the text as ``![caption](where){alt="…"}``, where
is an http(s) address or a path relative to the page. Here, at build time, each one is had:

- a path: the file saved beside the page, read from inside ``raw/`` only (a link is followed
  only while it stays inside; ``files.open_inside`` opens the last step without following one);
  a path the folder does not have (or one from ``/``) is the site's, fetched through the page's
  ``source_url`` when it has one;
- an address: downloaded once into the build's cache (:mod:`flows.fetch.images`).

Then checked, whatever its name or the server said: its kind from its bytes (PNG, JPEG, GIF,
WebP; an SVG is refused if it holds a script, an event handler, a DTD or any reference outside
itself, and otherwise drawn by typst into a PNG, so no edition carries SVG), at most
``image_mb`` bytes and ``image_megapixels`` pixels, and decoded whole once, so that no format
meets a broken image. At most ``images`` of them per text. Each is named by its bytes
(``figure-<hash>.png``) in the text; an image that cannot be had or is refused is reported
(``img-001``, ``img-002``, ``img-003``) and left out with its caption, and the text still builds.

Every format carries the images inside it (:mod:`flows.render.formats`): the HTML as ``data:``
addresses, the EPUB as files of its own, the PDF as typst draws them: nothing is fetched when
a reader opens an edition.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin

from lxml import etree
from PIL import Image, UnidentifiedImageError

from flows.fetch import images as remote
from flows.fetch.pages import FetchFailed, sniffs_as_html
from flows.files import open_inside
from flows.limits import Limits
from flows.model import Document, Message, PamphleteerError
from flows.settings import Settings

#: An image as the clean stage writes it: a caption (escaped Markdown, maybe with links), the
#: place, and maybe its description as an attribute.
_TEXT = r"(?:[^\[\]\\]|\\.)"
IMAGE = re.compile(
    rf"!\[(?P<caption>(?:{_TEXT}|\[{_TEXT}*\]\([^\s()]*\))*)\]\((?P<url>[^\s()]+)\)"
    r'(?P<attr>\{alt="(?:[^"\\]|\\.)*"\})?'
)
#: Kinds of image every format carries (EPUB 3's core media types; typst reads them all).
KINDS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"),
         "GIF": ("image/gif", "gif"), "WEBP": ("image/webp", "webp")}  # fmt: skip
_SVG_NS = "http://www.w3.org/2000/svg"
_SVG_START = re.compile(rb"^(\xef\xbb\xbf)?\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!DOCTYPE\s+)?svg",
                        re.S | re.I)  # fmt: skip
_SVG_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                              huge_tree=False, remove_comments=True)  # fmt: skip
_ACTIVE = frozenset({"script", "foreignobject", "handler", "listener", "iframe", "embed",
                     "object", "audio", "video"})  # fmt: skip
_URL_FN = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.I)
#: An SVG is drawn this many points wide, at this resolution (1200 pixels).
_SVG_WIDTH_PT, _SVG_PPI = 600.0, 144.0
_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)")


@dataclass(frozen=True)
class Figure:
    """One image as every format carries it: its name in the edition source, its kind, its
    bytes."""

    name: str
    mime: str
    data: bytes


class Refused(Exception):
    """An image that is left out: the code (``img-00n``) and the reason."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


# -- checking one image's bytes ----------------------------------------------------------------


def checked(data: bytes, settings: Settings) -> Figure:
    """``data`` as a figure, or :class:`Refused` saying why not (code ``img-002``)."""
    limits = settings.limits
    if len(data) > limits.image_bytes:
        raise Refused("img-002", f"bigger than {limits.image_mb:g} MB (limits: image_mb)")
    if _SVG_START.match(data[:4096]):
        data = _svg_drawn(data, settings)
    try:
        with Image.open(io.BytesIO(data), formats=list(KINDS)) as image:
            kind, (width, height) = image.format or "", image.size
            if width * height > limits.image_megapixels * 1_000_000:
                most = f"{limits.image_megapixels:g} million (limits: image_megapixels)"
                raise Refused("img-002", f"{width} × {height} pixels, more than {most}")
            image.load()  # the whole image decodes: no format meets a broken one
    except UnidentifiedImageError:
        raise Refused("img-002", f"not an image: {_what(data)}") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise Refused("img-002", f"a damaged image ({' '.join(str(exc).split())[:120]})") from None
    mime, ext = KINDS[kind]
    name = f"figure-{hashlib.sha256(data).hexdigest()[:16]}.{ext}"
    return Figure(name, mime, data)


def _what(data: bytes) -> str:
    """What bytes that are no image of a known kind look like, for the report."""
    if sniffs_as_html(data):
        return "an HTML page"
    if data[:5] == b"%PDF-":
        return "a PDF"
    return "bytes of no image kind an edition can carry (PNG, JPEG, GIF, WebP, SVG)"


def _svg_refusal(root: etree._Element, tree: etree._ElementTree) -> str | None:
    """Why an SVG is not drawn: anything that runs or reaches outside the file."""
    dtd = tree.docinfo.internalDTD  # a DOCTYPE naming SVG's own DTD is common, and harmless
    if dtd is not None and (any(dtd.iterentities()) or any(dtd.iterelements())):
        return "an SVG with a DTD of its own (entities)"
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if etree.QName(el).localname.lower() in _ACTIVE:
            return f"an SVG with a {etree.QName(el).localname} element (a script, or another page)"
        if etree.QName(el).localname.lower() == "style" and (
            "@import" in (el.text or "") or _URL_FN.search(el.text or "")
        ):
            return "an SVG whose style refers to other files or addresses"
        for name, value in el.attrib.items():
            local = etree.QName(name).localname.lower()
            if local.startswith("on"):
                return f"an SVG with an event handler ({local}: a script)"
            if local in ("href", "src") and not value.strip().startswith("#"):
                return "an SVG that refers to other files or addresses"
            if _URL_FN.search(value):
                return "an SVG that refers to other files or addresses"
    return None


def _svg_drawn(data: bytes, settings: Settings) -> bytes:
    """An SVG with nothing active in it, drawn by typst (resvg) into a PNG 1200 pixels wide."""
    try:
        tree = etree.ElementTree(etree.fromstring(data, _SVG_PARSER))
    except etree.XMLSyntaxError as exc:
        raise Refused("img-002", f"an SVG that is not XML ({exc})") from None
    root = tree.getroot()
    if not isinstance(root.tag, str) or etree.QName(root).localname != "svg":
        raise Refused("img-002", "not an image: XML that is not SVG")
    if why := _svg_refusal(root, tree):
        raise Refused("img-002", why)
    ratio = _svg_ratio(root)
    clean = etree.tostring(root)  # without the prolog, comments or processing instructions
    from flows.render.typeset import typst_compile  # typst only when an SVG comes

    height = _SVG_WIDTH_PT * ratio
    main = (
        f"#set page(width: {_SVG_WIDTH_PT}pt, height: {height:.2f}pt, margin: 0pt, fill: none)\n"
        '#image("figure.svg", width: 100%, height: 100%, fit: "contain")\n'
    )
    try:
        png, _ = typst_compile(main.encode(), settings, {}, {"figure.svg": clean}, _SVG_PPI)
    except Exception as exc:  # typst's own words
        raise Refused("img-002", f"an SVG typst cannot draw ({str(exc)[:120]})") from None
    return png


def _svg_ratio(root: etree._Element) -> float:
    """Height over width, from the SVG's size or its viewBox (1:1 when it says neither), kept
    between 1:20 and 20:1."""
    box = (root.get("viewBox") or "").replace(",", " ").split()
    sizes = [_LENGTH.match(root.get(k) or "") for k in ("width", "height")]
    ratio = 1.0
    try:
        if all(sizes) and "%" not in (root.get("width") or "") + (root.get("height") or ""):
            ratio = float(sizes[1][1]) / float(sizes[0][1])  # type: ignore[index]
        elif len(box) == 4:
            ratio = float(box[3]) / float(box[2])
    except (ValueError, ZeroDivisionError):
        ratio = 1.0
    return min(max(ratio, 0.05), 20.0)


# -- finding a text's images ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Where:
    shown: str  # how the report names it: as the page wrote it
    url: str = ""  # a remote one
    path: Path | None = None  # one beside the page
    missing: str = ""  # why it cannot be had at all


def _where(src: str, raw_dir: Path, base: str) -> _Where:
    shown = unquote(src)
    if src.lower().startswith(("http://", "https://")):
        return _Where(shown, url=src)
    if not src.startswith("/"):
        root = raw_dir.resolve()
        try:
            path = (root / unquote(src)).resolve()
            inside, found = path.is_relative_to(root), path.is_file()
        except (OSError, ValueError, RuntimeError):  # a name too long, a loop of links
            inside, found = True, False
        if not inside:
            return _Where(shown, missing=f"outside {raw_dir.name}/: never read")
        if found:
            return _Where(shown, path=path)
    if base.lower().startswith(("http://", "https://")):
        return _Where(shown, url=urljoin(base, src))
    return _Where(shown, missing=f"no such file beside the page in {raw_dir.name}/")


def _read_local(path: Path, limits: Limits) -> bytes:
    try:
        with open_inside(path) as f:
            data = f.read(limits.image_bytes + 1)
    except (PamphleteerError, OSError) as exc:
        reason = str(exc).split(": ", 1)[-1] if isinstance(exc, PamphleteerError) else exc.strerror
        raise Refused("img-001", f"cannot be read: {reason}") from None
    if len(data) > limits.image_bytes:
        raise Refused("img-002", f"bigger than {limits.image_mb:g} MB (limits: image_mb)")
    return data


def collect(
    doc: Document, out_dir: Path, settings: Settings
) -> tuple[Document, tuple[Figure, ...]]:
    """``doc`` with its images named as its figures (and those that cannot be had left out,
    each reported), and the figures. Without ``images``, the document as it is."""
    if not settings.images or "![" not in doc.body:
        return doc, ()
    limits = settings.limits
    raw_dir = doc.source.parent
    base = str(doc.meta.get("source_url") or "")
    # The first ``images`` figures are kept (one image shown twice is two: each is embedded).
    found = [m["url"] for m in IMAGE.finditer(doc.body)]
    over = len(found) - limits.images
    wheres = {src: _where(src, raw_dir, base) for src in found[: limits.images]}
    urls = [w.url for w in wheres.values() if w.url]
    downloaded = remote.download(
        [url for url in urls if remote.cached(out_dir, url, limits) is None], limits
    )

    names: dict[str, str] = {}  # src -> figure name; absent: left out
    figures: dict[str, Figure] = {}
    messages: list[Message] = []
    for src, where in wheres.items():
        try:
            if where.missing:
                raise Refused("img-001", where.missing)
            if where.path is not None:
                data = _read_local(where.path, limits)
            else:
                got = downloaded.get(where.url)
                data = remote.cached(out_dir, where.url, limits) if got is None else got
                if isinstance(data, FetchFailed):
                    code = "img-002" if data.too_big else "img-001"
                    raise Refused(code, f"could not be downloaded: {data}")
                if data is None:
                    raise Refused("img-001", "could not be downloaded: gone from the cache")
            figure = checked(data, settings)
            if where.url and where.url in downloaded:
                remote.store(out_dir, where.url, data)  # kept only once it passed
        except Refused as exc:
            messages.append(Message(exc.code, f"image {where.shown}: {exc}; left out"))
            continue
        names[src] = figure.name
        figures[figure.name] = figure
    if over > 0:
        messages.append(Message("img-003", f"{over} image(s) past the first {limits.images} "
                                "(limits: images): left out"))  # fmt: skip
    seen = iter(range(len(found)))

    def named(m: re.Match[str]) -> str:
        name = names.get(m["url"]) if next(seen) < limits.images else None
        return "" if name is None else f"![{m['caption']}]({name}){m['attr'] or ''}"

    body = IMAGE.sub(named, doc.body)
    report = doc.report.add(*messages)
    return dataclasses.replace(doc, body=body, report=report), tuple(figures.values())
