"""The words of the risk drivers and organization reasons, from the label catalogue.

Chinese by default, English with ``LEARNMAP_LANG=en`` (``engine.labels``): the texts are
the catalogue's ``driver_*``, ``org_*`` and ``risk_unit_*`` messages, read when a model
scores (so one fitted model answers in either language).  Numbers are formatted by the
callers, the same in both languages.

``vtext`` fills a message for many rows at once with numpy string arithmetic (a
million rows take seconds): every field is an array of already formatted strings, or
one string for all rows.
"""

from __future__ import annotations

from string import Formatter

import numpy as np

from engine.labels import text

__all__ = ["unit", "vchoose", "vtext"]

#: a policy kind, or the English word ``models.risk.features.UNIT_WORDS`` gives it →
#: the ``risk_unit_<kind>`` message.  Callers pass either; anything else is shown as is.
_UNIT_KINDS = {
    "person_times": "person_times",
    "trainings": "person_times",
    "hours": "hours",
    "credits": "credits",
}


def unit(word: str) -> str:
    """The unit a requirement counts in, as people read it (次 / 学时 / 学分)."""
    kind = _UNIT_KINDS.get(word)
    return text(f"risk_unit_{kind}") if kind else word


def vtext(key: str, rows: int, /, **fields: np.ndarray | str) -> np.ndarray:
    """The catalogue message ``key`` for ``rows`` rows: ``{name}`` takes the row's
    string from ``fields[name]`` (an array of ``rows`` strings, or one string).  Format
    specs are not used (callers format the numbers)."""
    out = np.full(rows, "", dtype=object)
    for literal, name, spec, _ in Formatter().parse(text(key)):
        if literal:
            out = out + literal
        if name is None:
            continue
        if spec:
            raise ValueError(f"{key}: vtext fields take no format spec ({name}:{spec})")
        value = fields[name]
        out = out + (value if isinstance(value, str) else np.asarray(value, dtype=object))
    return out


def vchoose(
    rows: int, cases: list[tuple[np.ndarray, str]], /, **fields: np.ndarray | str
) -> np.ndarray:
    """Per row, the message of the first case whose mask holds (``(mask, key)`` pairs;
    a row no mask holds is ``""``), filling only those rows: the cost of one message
    per row, however many cases there are."""
    out = np.full(rows, "", dtype=object)
    left = np.ones(rows, bool)
    for mask, key in cases:
        here = left & np.asarray(mask, bool)
        if not here.any():
            continue
        sub = {
            k: v if isinstance(v, str) else np.asarray(v, dtype=object)[here]
            for k, v in fields.items()
        }
        out[here] = vtext(key, int(here.sum()), **sub)
        left &= ~here
    return out
