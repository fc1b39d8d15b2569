"""Labels for enumeration values and extra column headers, kept as data.

The packaged ``engine/synonyms.toml`` lists the Chinese labels that HR and training
systems export for every enumeration of ``engine.schema`` (会长 → ``head``, 已结业 →
``completed``, 未参加 → ``no_show`` …).  Users extend it without touching the package:
``LEARNMAP_SYNONYMS`` names one or more TOML files of the same shape, separated by
``os.pathsep`` (``:`` on Linux/macOS).  Their labels are added to the packaged ones; where
a user file maps a label to another key, the user file wins.  User files may also add
column headers under ``[headers.<table>]`` (``column = ["header", ...]``).

Every label is matched by :func:`label_key`: NFKC (full-width → half-width), case-folded,
whitespace removed.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from engine.errors import InputFileError
from engine.schema import ENUM_COLUMNS, TABLES

log = logging.getLogger(__name__)

ENV_SYNONYMS = "LEARNMAP_SYNONYMS"
_SPACE = re.compile(r"\s+")


def label_key(text: str) -> str:
    """The form labels are compared in: NFKC, case-folded, no whitespace."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text)).casefold()


@dataclass(frozen=True)
class Synonyms:
    """``enums[column][label_key] = key``; ``bools[label_key] = True/False``;
    ``headers[table][label_key] = column``."""

    enums: dict[str, dict[str, str]]
    bools: dict[str, bool]
    headers: dict[str, dict[str, str]]


def _read(path: Path | str, source: str) -> dict[str, object]:
    try:
        if isinstance(path, Path):
            text = path.read_text(encoding="utf-8")
        else:
            text = resources.files("engine").joinpath(path).read_text(encoding="utf-8")
        return tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputFileError(f"synonyms file {source}: cannot be read ({exc})") from exc


def _labels(value: object, source: str, where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputFileError(f"synonyms file {source}: {where} must be a list of strings")
    return value


def _merge(data: dict[str, object], source: str, into: Synonyms, override: bool) -> None:
    for section, body in data.items():
        if not isinstance(body, dict):
            raise InputFileError(f"synonyms file {source}: [{section}] must be a table")
        if section == "headers":
            for table, cols in body.items():
                if table not in TABLES or not isinstance(cols, dict):
                    raise InputFileError(
                        f"synonyms file {source}: [headers.{table}] names no table "
                        f"({', '.join(TABLES)})"
                    )
                names = TABLES[table].names
                for col, labels in cols.items():
                    if col not in names:
                        raise InputFileError(
                            f"synonyms file {source}: {table} has no column {col!r} "
                            f"({', '.join(names)})"
                        )
                    for label in _labels(labels, source, f"headers.{table}.{col}"):
                        into.headers.setdefault(table, {})[label_key(label)] = col
            continue
        if section == "bool":
            allowed: tuple[str, ...] = ("true", "false")
        elif section in ENUM_COLUMNS:
            allowed = ENUM_COLUMNS[section]
        else:
            known = ", ".join(["bool", "headers", *ENUM_COLUMNS])
            raise InputFileError(f"synonyms file {source}: unknown section [{section}] ({known})")
        for key, labels in body.items():
            if key not in allowed:
                raise InputFileError(
                    f"synonyms file {source}: [{section}] has no value {key!r} "
                    f"(one of {', '.join(allowed)})"
                )
            for label in _labels(labels, source, f"{section}.{key}"):
                lk = label_key(label)
                if section == "bool":
                    into.bools[lk] = key == "true"
                    continue
                table = into.enums.setdefault(section, {})
                if not override and lk in table and table[lk] != key:
                    raise AssertionError(f"packaged synonyms: {label!r} listed twice")
                if override and table.get(lk, key) != key:
                    log.info("%s: %s label %r now means %s", source, section, label, key)
                table[lk] = key


@functools.cache
def _load(user_files: tuple[tuple[str, int, int], ...]) -> Synonyms:
    syn = Synonyms({c: {label_key(k): k for k in keys} for c, keys in ENUM_COLUMNS.items()}, {}, {})
    _merge(_read("synonyms.toml", "engine/synonyms.toml"), "engine/synonyms.toml", syn, False)
    for name, _, _ in user_files:
        path = Path(name)
        _merge(_read(path, str(path)), str(path), syn, True)
    return syn


def synonyms() -> Synonyms:
    """The packaged synonyms plus those of the files named by ``LEARNMAP_SYNONYMS``."""
    env = os.environ.get(ENV_SYNONYMS, "")
    files = []
    for name in (p.strip() for p in env.split(os.pathsep)):
        if not name:
            continue
        path = Path(name).expanduser()
        if not path.is_file():
            raise InputFileError(f"synonyms file {path} (from ${ENV_SYNONYMS}): no such file")
        st = path.stat()
        files.append((str(path), st.st_mtime_ns, st.st_size))  # an edited file is re-read
    return _load(tuple(files))
