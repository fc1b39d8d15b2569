"""Output files people share: atomic, and readable as the user's umask says.

Every file a command writes goes through ``atomic_path``: the content is written to a
temporary file in the destination folder and moved over the destination with
``os.replace`` (atomic on one file system), so a reader never sees half a file and a
failed write leaves the previous file untouched.  ``tempfile.mkstemp`` creates its
file with mode 0600 whatever the umask; the temporary file is therefore given the mode
a plain ``open(path, "w")`` would give (``0666 & ~umask``, e.g. 0644 under the usual
umask 022) before it replaces the destination.

``write_table(frame, path)`` writes a DataFrame as CSV, Parquet or XLSX (by suffix; XLSX
through ``engine.workbook``: headers people read, codes kept beside labels, frozen
header, widths and number formats; ``labels=True`` adds ``<column>_label`` display
columns beside the enumeration columns of a CSV or Parquet file),
``write_text``/``write_bytes`` plain content, and ``atomic_path`` gives a temporary
path to hand to any writer (``fig.savefig``, ``joblib.dump``, ...).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from engine.errors import LearnmapError, Rule

__all__ = ["atomic_path", "file_mode", "write_bytes", "write_table", "write_text"]

TABLE_SUFFIXES = (".csv", ".parquet", ".xlsx")


def file_mode() -> int:
    """The mode a new file gets under the process's umask (``0666 & ~umask``)."""
    mask = os.umask(0)  # the only portable way to read it: set and restore at once
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_path(path: str | Path, private: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it becomes ``path``.

    The parent folder is created if needed.  On an exception the temporary file is
    removed and ``path`` is left as it was.  ``private`` files (models and caches built
    from personal data) keep ``mkstemp``'s mode 0600 whatever the umask."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if not private:
            os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_bytes(path: str | Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def csv_line_end(frame: pd.DataFrame) -> str:
    """The line end for writing ``frame`` as CSV: ``\n``, or ``\r\n`` when a text cell
    holds a carriage return — Python's csv writer quotes a cell only for the characters
    of its line end, and a bare ``\r`` left unquoted reads back as a line break."""
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            continue
        if values.astype(str).str.contains("\r", regex=False).any():
            return "\r\n"
    return "\n"


def write_table(
    frame: pd.DataFrame,
    path: str | Path,
    *,
    lang: str | None = None,
    kinds: dict[str, str] | None = None,
    labels: bool = False,
    sheet: str | None = None,
) -> Path:
    """``frame`` as CSV (dates as YYYY-MM-DD), Parquet or XLSX, chosen by the suffix.

    XLSX sheets are named ``sheet`` (default: the file's stem) and shown in ``lang``
    (``engine.labels``); ``kinds`` names the enumeration kind of columns whose name does
    not say it (``{"status": "participation_status"}``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise LearnmapError(Rule("output_suffix", name=path.name))
    if suffix == ".xlsx":
        from engine.workbook import write_workbook

        title = sheet or path.stem
        return write_workbook({title: frame}, path, lang=lang, kinds={title: kinds or {}})
    if labels:
        from engine.labels import display_frame

        frame = display_frame(frame, lang, rename=False, kinds=kinds)
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            frame.to_csv(
                tmp, index=False, date_format="%Y-%m-%d", lineterminator=csv_line_end(frame)
            )
        else:
            frame.to_parquet(tmp, index=False)
    return path
