"""Text encodings of CSV files: which one a file is in, and which rows do not decode.

See ``detect_encoding`` for the order of checks.  The choice is made on up to 4 MB
starting at the line of the first non-ASCII byte, wherever it lies.  ``file_encoding``
then decodes the whole file: if it fails *beyond* the bytes the choice was made on and
GB18030 (or UTF-8) decodes all of it, that is used with a warning; otherwise every row
holding undecodable bytes becomes a ``Problem`` (spreadsheet row numbers).
"""

from __future__ import annotations

import codecs
import logging
import re
import threading
from pathlib import Path

from charset_normalizer import from_bytes

from engine.errors import InputFileError, Problem, Rule, ValidationError

log = logging.getLogger("engine.readers")

_SAMPLE = 4 << 20  # bytes the encoding is decided on
_MAX_REPORTED = 50  # undecodable rows listed per file
_CJK = (
    "gb",
    "hz",
    "cp936",
    "cp949",
    "euckr",
    "eucjp",
    "shiftjis",
    "cp932",
    "iso2022",
    "johab",
    "big5",
)
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_NON_ASCII_TEXT = re.compile(r"[^\x00-\x7f]")


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _sample(data: bytes) -> tuple[bytes, int]:
    """Up to 4 MB from the start of the line holding the first non-ASCII byte, and the
    offset just past it (the ASCII before it says nothing about the encoding)."""
    m = None if data.isascii() else _NON_ASCII.search(data)
    start = 0 if m is None else data.rfind(b"\n", 0, m.start()) + 1
    return data[start : start + _SAMPLE], min(len(data), start + _SAMPLE)


_bad_offsets = threading.local()


def _record_bad(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeDecodeError)
    _bad_offsets.found.append(exc.start)
    return "\ufffd", exc.end


codecs.register_error("learnmap-record", _record_bad)


def _mostly_utf8(sample: bytes) -> bool:
    """At least 10 valid UTF-8 characters per invalid byte (GBK text reaches about 0.2)."""
    _bad_offsets.found = []
    text = sample.decode("utf-8", errors="learnmap-record")
    bad, _bad_offsets.found = len(_bad_offsets.found), []
    good = len(_NON_ASCII_TEXT.findall(text)) - bad
    return good >= 10 * max(bad, 1)


def _detect(sample: bytes, name: str) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(sample, "utf-8"):
        return "utf-8"
    if _decodes(sample, "gb2312"):
        return "gb18030"
    if _mostly_utf8(sample):
        return "utf-8"  # a UTF-8 file with a few bad bytes: those rows are reported
    best = from_bytes(sample).best()
    guess = best.encoding.lower().replace("_", "").replace("-", "") if best else ""
    if guess.startswith("big5") and _decodes(sample, "big5"):
        return "big5"
    if (not guess or guess.startswith(_CJK)) and _decodes(sample, "gb18030"):
        return "gb18030"
    if (not guess or guess.startswith(_CJK)) and len(_NON_ASCII.findall(sample)) * 2 < len(sample):
        return "utf-8"  # mostly ASCII, nothing fits: read as UTF-8 and list the bad rows
    if not guess or guess.startswith(_CJK):
        raise InputFileError(
            f"{name}: cannot tell the text encoding (not UTF-8, not GBK/GB18030); "
            "save the file as UTF-8 CSV"
        )
    return best.encoding  # type: ignore[union-attr]


def detect_encoding(path: Path) -> str:
    """Return the encoding of a text file.

    In order: a UTF-8 or UTF-16 BOM; then, on up to 4 MB starting at the line of the first
    non-ASCII byte (so a GBK file whose first Chinese character lies deep in the file is
    still seen as GBK): strict UTF-8; strict GB2312 (two high bytes per character —
    Western single-byte text almost never passes) read as GB18030, the superset that
    Chinese office software exports; UTF-8 if at least 10 characters decode as UTF-8 per
    invalid byte (a UTF-8 file with a few bad rows, which are then reported — GBK text
    scores about 0.2); otherwise charset-normalizer's guess, where any
    East-Asian double-byte guess (GBK, Korean, Japanese — short Chinese files are often
    mistaken for them) is read as GB18030 if it decodes, and Big5 as Big5.  When nothing
    fits and the text is mostly ASCII, UTF-8 — reading then lists the rows that are not valid
    UTF-8; otherwise an ``InputFileError``.
    """
    data = Path(path).read_bytes()
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _detect(data[:4], Path(path).name)
    return _detect(_sample(data)[0], Path(path).name)


def _undecodable_rows(data: bytes, enc: str, name: str) -> list[Problem]:
    """One problem per row holding bytes that are not valid ``enc`` text."""
    _bad_offsets.found = []
    data.decode(enc, errors="learnmap-record")
    offsets, _bad_offsets.found = _bad_offsets.found, []
    ascii_newlines = not enc.lower().startswith("utf-16")
    problems: list[Problem] = []
    seen: set[int] = set()
    for off in offsets:
        if ascii_newlines:
            row = data.count(b"\n", 0, off) + 1
        else:
            row = data[:off].decode(enc, errors="replace").count("\n") + 1
        if row in seen:
            continue
        seen.add(row)
        problems.append(
            Problem(
                name,
                row,
                "",
                repr(data[off : off + 4]),
                Rule("bad_encoding", encoding=enc.upper()),
            )
        )
        if len(problems) >= _MAX_REPORTED:
            break
    return problems


def file_encoding(data: bytes, name: str, notes: list[str]) -> str:
    """The encoding ``data`` is read in (see the module docstring); raises when some rows
    cannot be decoded in it."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        enc, seen_to = _detect(data[:4], name), len(data)
    else:
        sample, seen_to = _sample(data)
        enc = _detect(sample, name)
    try:
        data.decode(enc)
        return enc
    except UnicodeDecodeError as exc:
        if exc.start >= seen_to:  # the choice never saw these bytes: another may fit all
            for alt in ("gb18030", "utf-8"):
                if alt == enc:
                    continue
                try:
                    data.decode(alt)
                except UnicodeDecodeError:
                    continue
                row = data.count(b"\n", 0, exc.start) + 1
                note = f"{name}: not valid {enc} from row {row} on; read as {alt}"
                log.warning(note)
                notes.append(note)
                return alt
    raise ValidationError(_undecodable_rows(data, enc, name))
