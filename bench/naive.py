"""The naive script the scale benchmark compares against (run by bench/scale.py).

    .venv/bin/python bench/naive.py SOURCES_DIR OUT_DIR

For each edition source ``SOURCES_DIR/<name>.md`` (the assembled Markdown, so the naive script
does no cleaning at all), two articles at a time: the pandoc binary once per output format
(HTML, EPUB, Typst) with the same templates and ``--sandbox``, then the Typst compiled to PDF in a
fresh Python process (there is no typst command-line binary here; the binding in a new process is
the honest equivalent).
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pypandoc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from flows.markdown import READER_FORMAT  # noqa: E402

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "pandoc"
PANDOC = pypandoc.get_pandoc_path()
COMPILE = "import sys, typst; typst.compile(sys.argv[1], output=sys.argv[2])"


def one(source: Path, out: Path) -> None:
    stem = out / source.stem
    base = [PANDOC, "--sandbox", "-f", READER_FORMAT, str(source)]
    subprocess.run([*base, "-t", "html5", "--standalone", "--template",
                    str(TEMPLATES / "edition.html"), "-o", f"{stem}.html"], check=True)  # fmt: skip
    subprocess.run([*base, "-t", "epub3", "--split-level=1", "-o", f"{stem}.epub"], check=True)
    subprocess.run([*base, "-t", "typst", "--standalone", "--template",
                    str(TEMPLATES / "edition.typ"), "--lua-filter", str(TEMPLATES / "classes.lua"),
                    "-o", f"{stem}.typ"], check=True)  # fmt: skip
    subprocess.run([sys.executable, "-c", COMPILE, f"{stem}.typ", f"{stem}.pdf"], check=True)


def main() -> None:
    sources, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda s: one(s, out), sorted(sources.glob("*.md"))))


if __name__ == "__main__":
    main()
