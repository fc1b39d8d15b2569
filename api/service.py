"""The service's state: the store, the fitted recommender and its precomputed answers,
the risk model loaded from ``learnmap train``'s artifacts, and whole-store views per
date (statuses, staff and organization risk, the programme report).

Models are loaded once at start-up.  The recommender is loaded from its saved
artifact (``models.recommend.artifacts``) when one was fitted as of the served date on the
data now in the store; otherwise it is fitted from the store and saved for the next
start-up (likewise on ``POST /v1/admin/reload?refit_recommender=true``).  The
recommender is fitted for the service's policy (``LEARNMAP_API_POLICY``), as
``learnmap recommend --policy`` does: people behind on its requirement get the modules
that count first, with the same reasons ("...; counts toward your 2027 quota (0 of 3
done)"); a saved one fitted for another policy (or none) is refitted.  A reload
loads the new risk artifact completely (manifest, hash, policy and feature checks of
``models.risk.artifacts.load``, then a type check) before swapping it in; a broken or
mismatched artifact leaves the working model in place.

Alive at once (issue 22, defect 4): ``start`` returns immediately; opening the store,
loading the risk model and fitting or loading the recommender run on a background
thread.  Until they are done ``/readyz`` says ``opening`` / ``fitting`` and the routes
that need them answer 503 with ``Retry-After``.  A reload that refits the recommender
is a background job under the reload lock (one at a time), its state in ``/readyz``.

Data versions (defect 2): the store's data version (``Store.data_version``, raised by
every write that changes data, from this process or any other) is read every
``data_version_seconds`` (default 1 s).  A new version empties the whole-store views,
the profile cache and the id caches at once, so statuses, staff lists, profiles and
risk answer from it within that bound; the recommender is refitted in the background
(the previous fit serves meanwhile).  Every response carries ``X-Learnmap-Data-Version``
— for recommendations, the version the recommender was fitted on — and ``/readyz``
gives both.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from api import db
from api.audit import AuditLog, Pseudonymizer
from api.keys import KeyVerifier
from api.profiles import ProfileCache, warm_profiles
from api.recs import RecommendationCache
from api.settings import Settings
from engine import scan
from engine.errors import LearnmapError, StoreError
from engine.policy import Policy, load_policy
from engine.reads import ensure_person_indexes
from engine.store import Store
from engine.version import package_version as package_version  # one home: engine.version
from features.compliance import compliance
from features.report import Report, programme_report
from features.snapshot import Snapshot, snapshot, to_timestamp
from models.recommend import artifacts as rec_artifacts
from models.registry import create
from models.risk import artifacts
from models.risk.estimator import StaffRisk
from models.risk.features import UNIT_WORDS
from models.risk.org import score_orgs, unit_share

log = logging.getLogger(__name__)
_VIEWS = 2  # whole-store views kept (one per date)


class NotReady(LearnmapError):
    """A part of the service is still starting (503 with ``Retry-After``)."""


@dataclass
class View:
    """The whole store as of one date, under the service's policy."""

    as_of: date
    snap: Snapshot
    status: pd.DataFrame  # compliance, indexed by staff_id
    risk: pd.DataFrame | None  # StaffRisk predictions of employed staff, by staff_id
    orgs: pd.DataFrame | None  # score_orgs, by org_id
    model_as_of: str | None
    built: float = field(default_factory=time.monotonic)
    _report: Report | None = field(default=None, repr=False)

    def report(self, policy: Policy) -> Report:
        if self._report is None:
            self._report = programme_report(self.snap, self.status.reset_index(drop=True), policy)
        return self._report


@dataclass
class RiskModel:
    model: StaffRisk
    manifest: dict[str, Any]
    loaded_at: str


class Service:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store(settings.url)
        self.engine = self.store.engine
        self.policy = load_policy(settings.policy)
        self.xapi_hours = load_policy(settings.xapi_policy).online_hours
        self.verifier = KeyVerifier(self.engine, settings.key_cache_seconds)
        self.audit = AuditLog(self.engine, settings.audit_flush_seconds)
        self.pseudo: Pseudonymizer | None = None
        self.recs: RecommendationCache | None = None
        self.recommender_state = "not started"
        self.recommender_fitted_at: str | None = None
        self.recs_data_version: int | None = None
        self.risk: RiskModel | None = None
        self.risk_state = "not loaded"
        self.staff_org: dict[str, str] = {}
        self.org_ids: set[str] = set()
        self.data_version = -1  # the store's, as last read (-1: not read yet)
        self.profiles = ProfileCache()
        self.state = "starting"  # starting → opening → ready (or failed: …)
        self.opened = threading.Event()  # store tables, keys and salt in place
        self._views: OrderedDict[tuple, View] = OrderedDict()
        self._view_lock = threading.Lock()
        self._reload_lock = threading.Lock()  # one fit / reload at a time
        self._refit_pending = False
        self.write_lock = threading.Lock()
        self._stop = threading.Event()
        self._fit_started = float("-inf")  # when the last background refit began
        self._threads: list[threading.Thread] = []
        self._warm_thread: threading.Thread | None = None
        self._users = 0

    # ---- start / stop -------------------------------------------------------------
    def start(self) -> None:
        """Return at once; open, load and fit on a background thread.  Nested starts
        (a second lifespan on the same app, as test clients run) share the first."""
        self._users += 1
        if self._users > 1:
            return
        scan.disable_adbc()  # threads here write while others read (engine.scan)
        self.audit.start()
        self._spawn(self._open_and_fit, "start")

    def _spawn(self, target: Any, name: str) -> threading.Thread:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()
        return thread

    def _open_and_fit(self) -> None:
        try:
            self.state = "opening"
            self.store.create()
            db.ensure_tables(self.engine)
            self.pseudo = Pseudonymizer(db.pseudonym_salt(self.engine))
            self.data_version = self.store.data_version()
            self.opened.set()
            ensure_person_indexes(self.store)
            self.load_risk()
            with self._reload_lock:
                self.fit_recommender(use_artifact=True)
            self.state = "ready"
        except Exception as exc:  # noqa: BLE001 - reported by /readyz, logged in full
            log.exception("service start-up failed")
            self.state = f"failed: {type(exc).__name__}: {exc}"
            self.opened.set()
            return
        self._spawn(self._watch_data, "data-version")

    def wait_ready(self, timeout: float = 300.0) -> bool:
        """Block until start-up and any warm-up are done (tests, benchmarks)."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.state.startswith("failed"):
                return False
            warm = self._warm_thread
            if self.state == "ready" and (warm is None or not warm.is_alive()):
                return True
            time.sleep(0.02)
        return False

    def require_open(self) -> None:
        if not self.opened.is_set():
            raise NotReady(f"the service is starting ({self.state}); try again shortly")
        if self.state.startswith("failed"):
            raise StoreError(f"the service could not start: {self.state}")

    def stop(self) -> None:
        self._users -= 1
        if self._users > 0:
            return
        self._stop.set()
        if self.recs is not None:
            self.recs.stop()
        self.audit.stop()

    # ---- data versions ------------------------------------------------------------
    def _watch_data(self) -> None:
        while not self._stop.wait(self.settings.data_version_seconds):
            self.check_data_version()

    def check_data_version(self) -> int:
        """Read the store's data version; on a new one, drop what was built from the
        old one and refit the recommender in the background."""
        try:
            version = self.store.data_version()
        except (LearnmapError, sa.exc.SQLAlchemyError) as exc:
            log.warning("could not read the data version: %s", exc)
            return self.data_version
        if version != self.data_version:
            log.info("data version %s → %s: rebuilding views", self.data_version, version)
            with self._view_lock:
                self._views.clear()
                self.profiles.clear()
                self.staff_org = {}
                self.org_ids = set()
                self.data_version = version
            if self.recs_data_version is not None and self.recs_data_version != version:
                self.refit_in_background()
        return version

    def refit_in_background(self) -> bool:
        """Start refitting the recommender unless a fit is under way (then it runs
        again after that one); False when one was already running."""
        if not self._reload_lock.acquire(blocking=False):
            self._refit_pending = True
            return False

        def work() -> None:
            try:
                while True:
                    # back-to-back refits (a platform writing every second) are spaced
                    # by ``refit_min_seconds``: a fit takes the whole process's CPU
                    gap = self.settings.refit_min_seconds - (time.monotonic() - self._fit_started)
                    if gap > 0 and self._stop.wait(gap):
                        break
                    self._fit_started = time.monotonic()
                    self._refit_pending = False
                    self.recommender_state = f"refitting for data version {self.data_version}"
                    try:
                        self.fit_recommender()
                    except Exception as exc:  # noqa: BLE001 - the old fit keeps serving
                        log.exception("recommender refit failed")
                        self.recommender_state = f"refit failed ({exc}); serving the previous fit"
                    if not self._refit_pending:
                        break
            finally:
                self._reload_lock.release()

        self._spawn(work, "refit")
        return True

    def load_risk(self) -> tuple[bool, str]:
        """Load the risk artifact; keep the current model if the new one is refused."""
        try:
            model, manifest = artifacts.load(self.policy, root=self.settings.model_dir)
            if not isinstance(model, StaffRisk) or not hasattr(model, "model_"):
                raise artifacts.ArtifactError(
                    f"{self.settings.model_dir}: the artifact is not a fitted StaffRisk"
                )
        except (LearnmapError, OSError, ValueError, EOFError, ImportError) as exc:
            msg = f"refused: {exc}"
            if self.risk is None:
                self.risk_state = f"missing: {exc}"
            log.warning("risk model not loaded: %s", exc)
            return False, msg
        except Exception as exc:  # unpickling arbitrary damage raises anything
            log.warning("risk model not loaded (damaged artifact): %r", exc)
            if self.risk is None:
                self.risk_state = f"missing: damaged artifact ({type(exc).__name__})"
            return False, f"refused: damaged artifact ({type(exc).__name__}: {exc})"
        self.risk = RiskModel(model, manifest, datetime.now(UTC).isoformat(timespec="seconds"))
        self.risk_state = "loaded"
        with self._view_lock:
            self._views.clear()
        return True, f"risk model trained as of {manifest.get('as_of')} loaded"

    def fit_recommender(self, background: bool | None = None, use_artifact: bool = False) -> None:
        """Fit the recommender from the store (and save it); with ``use_artifact``
        (start-up) load the saved one instead when it matches (``models.recommend.artifacts``).
        A reload asking to refit always refits."""
        t0 = time.perf_counter()
        version = self.store.data_version()
        tables = self.store.load()
        self.staff_org = dict(
            zip(
                tables["staff"]["staff_id"].astype(str),
                tables["staff"]["org_id"].astype(str),
                strict=True,
            )
        )
        self.org_ids = set(tables["organizations"]["org_id"].astype(str))
        #: the catalogue and the announced schedule: what is offered in a window
        #: (``?from=&to=``, ``features.offerings``) — small tables, kept whole
        self.catalogue = {t: tables[t] for t in ("modules", "sessions")}
        if tables["staff"].empty:
            self.recommender_state = "empty store: run `learnmap ingest DIR` first"
            return
        name, as_of, root = self.settings.recommender, self.settings.as_of, self.settings.model_dir
        how = "loaded from its artifact"
        try:
            if not use_artifact:
                raise LearnmapError("a refit was asked for")
            model, _ = rec_artifacts.load(name, as_of, tables, root=root)
            fitted_for = getattr(model, "policy_", None)
            if fitted_for != self.policy:
                got = "no policy" if fitted_for is None else f"policy {fitted_for.name!r}"
                raise LearnmapError(f"saved recommender fitted for {got}, not {self.policy.name!r}")
        except Exception as exc:  # missing, stale or damaged: fit instead
            log.info("recommender %s: not loaded (%s); fitting", name, exc)
            self.recommender_state = "fitting"
            model = create(name)
            model.fit(tables, as_of, policy=self.policy)
            how = "fitted from the store"
            try:
                rec_artifacts.save(model, name, tables, as_of, root=root)
            except (OSError, LearnmapError) as exc:
                log.warning("recommender %s not saved: %s", name, exc)
        del tables
        old = self.recs
        self.recs = RecommendationCache(model, self.settings.cache_k, self.settings.display_lang)
        self.recs_data_version = version
        if old is not None:
            old.stop()
        # "loaded" (from the saved artifact) or "fitted" (from the store): both ready
        self.recommender_state = "loaded" if how.startswith("loaded") else "fitted"
        self.recommender_fitted_at = datetime.now(UTC).isoformat(timespec="seconds")
        log.info(
            "recommender %s %s as of %s in %.1fs",
            self.settings.recommender,
            how,
            self.settings.as_of,
            time.perf_counter() - t0,
        )
        if self.settings.warm:
            self._warm_thread = self._spawn(self._warm, "warm")

    def _warm(self) -> None:
        recs = self.recs
        if recs is not None:
            recs.warm()
        try:
            warm_profiles(self, self._stop)
        except Exception:  # noqa: BLE001 - profiles are then computed per request
            log.exception("profile precomputation failed")

    def not_offered(self, start: date, end: date) -> frozenset[str]:
        """The modules *not* offered in ``[start, end)`` (``features.offerings``)."""
        from features.offerings import offered_module_ids

        cat = self.catalogue
        if end <= start:  # an empty window offers nothing
            return frozenset(cat["modules"]["module_id"].astype(str))
        offered = offered_module_ids(cat, start, end)
        return frozenset(set(cat["modules"]["module_id"].astype(str)) - offered)

    # ---- lookups ------------------------------------------------------------------
    def org_of(self, staff_id: str) -> str | None:
        """The organization of a staff member (None: no such person)."""
        got = self.staff_org.get(staff_id)
        if got is not None:
            return got
        frame = self.store.lookup("staff", ["staff_id", "org_id"], "staff_id", [staff_id])
        if frame.empty:
            return None
        org = str(frame["org_id"].iloc[0])
        self.staff_org[staff_id] = org
        return org

    def unknown_orgs(self, org_ids: list[str]) -> list[str]:
        """The ids of ``org_ids`` that name no organization in the store, in the order
        given (duplicates once); one store query for those not already known."""
        ask = [o for o in dict.fromkeys(org_ids) if o not in self.org_ids]
        if not ask:
            return []
        found = self.store.lookup("organizations", ["org_id"], "org_id", ask)
        known = set(found["org_id"].astype(str))
        self.org_ids |= known
        return [o for o in ask if o not in known]

    def org_exists(self, org_id: str) -> bool:
        if org_id in self.org_ids:
            return True
        frame = self.store.lookup("organizations", ["org_id"], "org_id", [org_id])
        if frame.empty:
            return False
        self.org_ids.add(org_id)
        return True

    def store_ok(self) -> tuple[bool, str]:
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True, "reachable"
        except sa.exc.SQLAlchemyError as exc:
            return False, f"unreachable: {type(exc).__name__}"

    def wrote(self) -> None:
        """Records were written here: answer from the new data version at once."""
        self.check_data_version()

    # ---- whole-store views --------------------------------------------------------
    def view(self, as_of: date | None = None) -> View:
        d = as_of or self.settings.as_of
        risk = self.risk
        # keyed by the store's data version (raised by data writes only, not by the
        # service's audit rows), read every ``data_version_seconds``
        key = (d, self.data_version, id(risk))
        with self._view_lock:
            got = self._views.get(key)
            if got is not None:
                self._views.move_to_end(key)
                return got
            t0 = time.perf_counter()
            tables = self.store.load()
            t = to_timestamp(d)
            snap = snapshot(tables, t)
            status = (
                compliance(snap, self.policy).set_index("staff_id", drop=False).rename_axis(None)
            )
            pred = orgs = None
            if risk is not None:
                pred = risk.model.predict_frame(snap)
                orgs = (
                    score_orgs(
                        pred,
                        tables["organizations"],
                        unit_share(self.policy),
                        UNIT_WORDS[self.policy.kind],
                        float(getattr(risk.model, "unit_sigma_", 0.0)),
                    )
                    .set_index("org_id", drop=False)
                    .rename_axis(None)
                )
                pred = pred.set_index("staff_id", drop=False).rename_axis(None)
            v = View(d, snap, status, pred, orgs, risk.manifest.get("as_of") if risk else None)
            self._views[key] = v
            while len(self._views) > _VIEWS:
                self._views.popitem(last=False)
            log.info("whole-store view as of %s built in %.1fs", d, time.perf_counter() - t0)
            return v
