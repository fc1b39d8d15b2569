"""Serving recommendations fast: the recommender is fitted once (start-up or reload),
then every person's top ``cache_k`` are precomputed in the background, block by block,
into compact arrays (module index, score, reason code).  A request is a lookup; mode /
tier filters are applied to the cached list (the same answer ``Filters`` gives, since
filters only mask modules).  People not cached yet, larger ``k`` or a filter that
leaves too few cached rows are answered live: ``recommend`` writes nothing on the
model (``models.contract``), so live calls and the background precomputation need no
lock."""

from __future__ import annotations

import gc
import json
import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.recommend.base import Recommender
from models.recommend.filters import Filters

log = logging.getLogger(__name__)
BLOCK = 256


@dataclass(frozen=True)
class Item:
    rank: int
    j: int  # module position in the recommender's catalogue
    score: float
    reason: str


class RecommendationCache:
    def __init__(self, model: Recommender, k: int, lang: str | None = None) -> None:
        """``lang``: the language of the display fields (``mode_label``, ``tier_label``;
        default ``LEARNMAP_LANG``), written once into each module's JSON fragment."""
        from engine.labels import get_lang, label

        lang = get_lang(lang)
        self.model = model
        self.k = k
        data = model.data_
        self.users = data.users
        self.row_of = {str(u): i for i, u in enumerate(self.users)}
        self.items = data.items.to_numpy()
        self.item_pos = {str(m): j for j, m in enumerate(self.items)}
        mods = data.modules
        self.mode = mods["mode"].astype(str).to_numpy()
        self.tier = mods["tier"].astype(str).to_numpy()
        self.title = mods["title"].astype(str).to_numpy()
        self.hours = mods["hours"].to_numpy(float)
        # JSON fragments of each module's fields: the hot path concatenates text
        self.fragment = [
            json.dumps(
                {
                    "module_id": str(m),
                    "title": t,
                    "mode": md,
                    "mode_label": label("mode", md, lang),
                    "tier": tr,
                    "tier_label": label("tier", tr, lang),
                    "hours": float(h),
                },
                ensure_ascii=False,
            )[1:-1]
            for m, t, md, tr, h in zip(
                self.items, self.title, self.mode, self.tier, self.hours, strict=True
            )
        ]
        self.reason_json: list[str] = []
        n = len(self.users)
        self.item_ix = np.full((n, k), -1, dtype=np.int32)
        self.score = np.zeros((n, k), dtype=np.float64)
        self.reason_ix = np.zeros((n, k), dtype=np.int32)
        self.done = np.zeros(n, dtype=bool)
        self.reasons: list[str] = []
        self._reason_code: dict[str, int] = {}
        self._stop = threading.Event()
        self.progress = 0.0 if n else 1.0

    # -- precomputation ---------------------------------------------------------------
    def _store(self, frame: pd.DataFrame) -> None:
        rows = self.users.get_indexer(frame["staff_id"].to_numpy(dtype=object))
        cols = frame["rank"].to_numpy(dtype=np.int64) - 1
        items = np.array(
            [self.item_pos.get(str(m), -1) for m in frame["module_id"]], dtype=np.int64
        )
        codes = np.fromiter(
            (self._code(r) for r in frame["reason"].astype(str)), dtype=np.int32, count=len(frame)
        )
        ok = (rows >= 0) & (cols < self.k) & (items >= 0)
        self.item_ix[rows[ok], cols[ok]] = items[ok]
        self.score[rows[ok], cols[ok]] = frame["score"].to_numpy(float)[ok]
        self.reason_ix[rows[ok], cols[ok]] = codes[ok]

    def _code(self, reason: str) -> int:
        c = self._reason_code.get(reason)
        if c is None:
            c = self._reason_code[reason] = len(self.reasons)
            self.reasons.append(reason)
            self.reason_json.append(json.dumps(reason, ensure_ascii=False))
        return c

    def warm(self) -> None:
        """Precompute everyone (call in a background thread)."""
        n = len(self.users)
        ids = self.users.to_numpy(dtype=object)
        t0 = time.perf_counter()
        for lo in range(0, n, BLOCK):
            if self._stop.is_set():
                return
            chunk = [str(s) for s in ids[lo : lo + BLOCK]]
            frame = self.model.recommend(chunk, k=self.k)
            self._store(frame)
            self.done[lo : lo + BLOCK] = True
            self.progress = min(lo + BLOCK, n) / n
        log.info("recommendations precomputed for %d people in %.1fs", n, time.perf_counter() - t0)
        # the start-up objects (tables' leftovers, the model) live as long as the process:
        # keep them out of the cyclic collector's scans so its pauses stay short
        gc.collect()
        gc.freeze()

    def stop(self) -> None:
        self._stop.set()

    # -- answering --------------------------------------------------------------------
    def get(
        self,
        staff_id: str,
        k: int,
        modes: Sequence[str] | None = None,
        tiers: Sequence[str] | None = None,
        offer_prerequisites: bool = False,
        exclude: frozenset[str] | None = None,
    ) -> list[Item]:
        """The person's ``k`` best; ``exclude`` (modules not offered in the asked
        window) is answered live, the rest from the cache where it holds them."""
        row = self.row_of.get(staff_id, -1)
        cached = not offer_prerequisites and exclude is None
        if row >= 0 and self.done[row] and k <= self.k and cached:
            ix = self.item_ix[row]
            n_cached = int((ix >= 0).sum())
            keep = ix[:n_cached]
            sel = True
            if modes:
                sel &= np.isin(self.mode[keep], list(modes))
            if tiers:
                sel &= np.isin(self.tier[keep], list(tiers))
            pos = np.flatnonzero(sel) if (modes or tiers) else np.arange(n_cached)
            # the cached list is complete when it is shorter than cache_k
            if len(pos) >= k or n_cached < self.k:
                pos = pos[:k]
                return [
                    Item(
                        i + 1,
                        int(ix[p]),
                        float(self.score[row, p]),
                        self.reasons[self.reason_ix[row, p]],
                    )
                    for i, p in enumerate(pos.tolist())
                ]
        filters = Filters(
            modes=tuple(modes) if modes else None,
            tiers=tuple(tiers) if tiers else None,
            offer_prerequisites=offer_prerequisites,
            exclude_modules=exclude or frozenset(),
        )
        frame = self.model.recommend([staff_id], k=k, filters=filters)
        return [
            Item(int(r.rank), self.item_pos[str(r.module_id)], float(r.score), str(r.reason))
            for r in frame.itertuples(index=False)
        ]

    def cached_json(self, staff_id: str, k: int, head: str) -> bytes | None:
        """The unfiltered answer straight from the cache as JSON (None: not cached, or
        ``k`` deeper than the cache): the service's hot path, no per-item objects."""
        row = self.row_of.get(staff_id, -1)
        if row < 0 or not self.done[row] or k > self.k:
            return None
        ix = self.item_ix[row, :k].tolist()
        scores = self.score[row, :k].tolist()
        codes = self.reason_ix[row, :k].tolist()
        frag, reasons = self.fragment, self.reason_json
        parts = [
            f'{{"rank":{n},{frag[j]},"score":{sc if math.isfinite(sc) else 0.0!r},"reason":{reasons[c]}}}'
            for n, (j, sc, c) in enumerate(zip(ix, scores, codes, strict=True), start=1)
            if j >= 0
        ]
        return f'{head[:-1]},"data":[{",".join(parts)}],"count":{len(parts)}}}'.encode()

    def _reason_text(self, reason: str) -> str:
        c = self._reason_code.get(reason)
        return self.reason_json[c] if c is not None else json.dumps(reason, ensure_ascii=False)

    def to_json(self, staff_id: str, as_of: str, model: str, items: list[Item]) -> bytes:
        """The ``Recommendations`` body as JSON text, built from cached fragments (the
        schema test checks it against the response model)."""
        parts = []
        for i in items:
            score = i.score if math.isfinite(i.score) else 0.0
            parts.append(
                f'{{"rank":{i.rank},{self.fragment[i.j]},"score":{score!r},'
                f'"reason":{self._reason_text(i.reason)}}}'
            )
        head = json.dumps(
            {"staff_id": staff_id, "as_of": as_of, "model": model}, ensure_ascii=False
        )
        return f'{head[:-1]},"data":[{",".join(parts)}],"count":{len(items)}}}'.encode()
