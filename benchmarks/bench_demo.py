"""Demo data: generation time and peak memory per scale, calibration and choice-effect
figures at default scale, and (small scales) ingest.  Run by hand, with ``nice``.

    nice .venv/bin/python benchmarks/bench_demo.py scale --scenario national --orgs 2300 40000
    nice .venv/bin/python benchmarks/bench_demo.py scale --scenario cadre --orgs 600 6000
    nice .venv/bin/python benchmarks/bench_demo.py scale --scenario cadre --orgs 1500 6000 \
        --before 987bd8e --before-orgs 1500
    nice .venv/bin/python benchmarks/bench_demo.py figures [--out var/bench_demo]

``scale``: each step runs in its own process so its peak RSS is its own.  The baseline,
measured in the same run at the same scale, is the same generator with every choice
effect switched off (the foundation's independent draws: what the choice model costs);
``--before REF --before-orgs N ...`` also runs the generator of an earlier commit (``git
archive REF``, imported through ``PYTHONPATH``; its in-memory ``generate`` +
``write_dataset``) at those sizes: the speed-up of this code on the same data size.
``generate`` is ``write_demo`` (what ``learnmap demo-data`` runs: large tables stay coded and
are written in chunks).
``--ingest-max`` also ingests small datasets into a fresh SQLite file next to a bare
``pandas.read_csv`` of every file.  The generator shows its tqdm progress bar (stderr).
For cadre, ``--orgs`` counts units of ≈ 33 cadres (6,000 ≈ 200,000 cadres).

``figures``: at default scale per scenario — completions per person-year (median, p90),
share unqualified per year under ``cadre-hours`` and ``credits``, and for each choice
effect its statistic (``engine.demo.stats``) with and without the effect; a PNG of the
latter and of hours per cadre-year.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

CHOICE_OFF = (
    "interest_sd",
    "interest_drift",
    "role_focus",
    "seq_boost",
    "prereq_skip",
    "org_emphasis",
    "callup_share",
    "quality_uptake",
)


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def worker(step: str, scenario: str, orgs: int, folder: Path) -> dict[str, float]:
    t0 = time.perf_counter()
    if step == "before":  # an earlier commit's code (PYTHONPATH): in memory, then written
        from engine.demo import DemoSpec, generate, write_dataset

        tables = generate(DemoSpec(scenario=scenario, orgs=orgs, seed=1), progress=True)
        counts = write_dataset(tables, folder, progress=True)
        extra = {
            "rows": sum(counts.values()),
            "participations": counts["participations"],
            "staff": counts["staff"],
        }
    elif step in ("generate", "baseline"):
        from engine.demo import NO_EFFECTS, DemoSpec, Effects, write_demo

        fx = Effects()
        if step == "baseline":
            fx = replace(fx, **{f: getattr(NO_EFFECTS, f) for f in CHOICE_OFF})
        spec = DemoSpec(scenario=scenario, orgs=orgs, seed=1, effects=fx)
        counts = write_demo(spec, folder, progress=True)
        extra = {
            "rows": sum(counts.values()),
            "participations": counts["participations"],
            "staff": counts["staff"],
        }
    elif step == "read_csv":
        import pandas as pd

        extra = {
            "rows": sum(
                len(pd.read_csv(f, dtype=str, keep_default_na=False)) for f in folder.glob("*.csv")
            )
        }
    else:
        from engine.ingest import ingest
        from engine.store import Store

        db = folder.parent / f"{folder.name}.db"
        db.unlink(missing_ok=True)
        counts = ingest(folder, Store(f"sqlite:///{db}"))
        extra = {"rows": sum(c.new for c in counts.values())}
    return {"seconds": round(time.perf_counter() - t0, 2), "peak_gb": round(_peak_gb(), 3), **extra}


def run(
    step: str, scenario: str, orgs: int, folder: Path, code: Path | None = None
) -> dict[str, float]:
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    out = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "worker",
            step,
            "--scenario",
            scenario,
            "--orgs",
            str(orgs),
            "--dir",
            str(folder),
        ],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
        env=env,
        cwd=code or None,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _uptime() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def scale(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        if args.before:
            code = Path(tmp) / "before"
            code.mkdir()
            archive = subprocess.run(
                ["git", "archive", args.before], stdout=subprocess.PIPE, check=True
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
            for orgs in args.before_orgs:
                folder = Path(tmp) / f"before{orgs}"
                g = run("before", args.scenario, orgs, folder, code)
                print(
                    f"{args.scenario} orgs {orgs:>7,} before ({args.before}): "
                    f"{g['seconds']:>7.1f}s, peak {g['peak_gb']:.2f} GB "
                    f"({g['staff']:,} staff, {g['participations']:,} participations) "
                    f"[{_uptime()}]",
                    flush=True,
                )
                subprocess.run(["rm", "-rf", str(folder)], check=True)
        for orgs in args.orgs:
            for step in ("baseline", "generate") if args.baseline else ("generate",):
                folder = Path(tmp) / f"{step}{orgs}"
                g = run(step, args.scenario, orgs, folder)
                print(
                    f"{args.scenario} orgs {orgs:>7,} {step:<8}: generate + write "
                    f"{g['seconds']:>7.1f}s, peak {g['peak_gb']:.2f} GB "
                    f"({g['staff']:,} staff, {g['participations']:,} participations, "
                    f"{g['rows']:,} rows) [{_uptime()}]",
                    flush=True,
                )
                if step == "baseline" or orgs > args.ingest_max:
                    subprocess.run(["rm", "-rf", str(folder)], check=True)
                    continue
                if orgs <= args.ingest_max:
                    b = run("read_csv", args.scenario, orgs, folder)
                    i = run("ingest", args.scenario, orgs, folder)
                    print(
                        f"{'':>22} ingest {i['seconds']:>7.1f}s peak {i['peak_gb']:.2f} GB; "
                        f"baseline read_csv {b['seconds']:.1f}s → {i['seconds'] / b['seconds']:.1f}x",
                        flush=True,
                    )


def figures(args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from engine.demo import NO_EFFECTS, DemoSpec, Effects, generate_with_truth
    from engine.demo import stats as S
    from engine.policy import load_policy
    from features.compliance import compliance
    from features.snapshot import snapshot

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report: dict[str, dict] = {}
    for scenario in ("national", "cadre"):
        t, truth = generate_with_truth(DemoSpec(scenario=scenario, seed=1), progress=True)
        p, staff = t["participations"], t["staff"]
        done = p[p["status"] == "completed"]
        year = done["completed_on"].dt.year
        per = done.groupby([done["staff_id"], year.rename("year")]).agg(
            n=("module_id", "size"), hours=("hours", "sum")
        )
        first = int(year.min())
        full = staff.loc[
            (staff["hired_on"] < f"{first}-01-01") & staff["left_on"].isna(), "staff_id"
        ]
        grid = per.reindex(
            [(s, y) for s in full for y in sorted(year.unique())], fill_value=0
        )  # person-years with zero completions count too
        r: dict[str, object] = {
            "staff": len(staff),
            "participations": len(p),
            "completions_per_person_year": {
                "median": float(grid["n"].median()),
                "p90": float(grid["n"].quantile(0.9)),
            },
            "hours_per_person_year": {
                "median": float(grid["hours"].median()),
                "p90": float(grid["hours"].quantile(0.9)),
            },
        }
        # as of the day after the last year, so that every year of the data has ended
        snap = snapshot(t, f"{int(year.max()) + 1}-01-01")
        for policy in ("cadre-hours", "credits"):
            st = compliance(snap, load_policy(policy))
            r[f"unqualified_{policy}"] = {
                c.removeprefix("qualified_"): round(
                    1 - float(st[c].dropna().astype(bool).mean()), 3
                )
                for c in st.columns
                if c.startswith("qualified_") and int(c.removeprefix("qualified_")) >= first
            }
        effects = {}
        for effect, (fields, name) in S.EFFECT_STATS.items():
            off = replace(Effects(), **{f: getattr(NO_EFFECTS, f) for f in fields})
            t2, truth2 = generate_with_truth(DemoSpec(scenario=scenario, seed=1, effects=off))
            f = getattr(S, name)
            two = name in S.WITH_TRUTH
            effects[effect] = {
                "statistic": name,
                "with": round(f(t, truth) if two else f(t), 3),
                "without": round(f(t2, truth2) if two else f(t2), 3),
            }
            print(f"{scenario:8s} {effect:28s} {effects[effect]}", flush=True)
        r["effects"] = effects
        r["repeats"] = S.repeats(t)
        r["renewal_shares"] = S.renewal_shares(t).round(3).to_dict()
        r["view_agreement"] = dict(zip(("title", "skill"), S.view_agreement(t, truth), strict=True))
        report[scenario] = r
        print(json.dumps({scenario: {k: v for k, v in r.items() if k != "effects"}}, indent=1))
        fig, ax = plt.subplots(figsize=(9, 4))
        names = list(effects)
        x = np.arange(len(names))
        ax.bar(x - 0.2, [effects[n]["with"] for n in names], 0.4, label="with the effect")
        ax.bar(x + 0.2, [effects[n]["without"] for n in names], 0.4, label="without")
        ax.set_xticks(x, [f"{n}\n({effects[n]['statistic']})" for n in names], fontsize=6)
        ax.set_title(f"Choice effects, {scenario} scenario at default scale")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / f"effects_{scenario}.png", dpi=120)
        plt.close(fig)
        if scenario == "cadre":
            fig, ax = plt.subplots(figsize=(6, 4))
            ax.hist(grid["hours"].clip(upper=300), bins=60)
            ax.axvline(90, color="k", linestyle="--", label="90-hour line")
            ax.set_xlabel("completed hours per cadre-year")
            ax.set_ylabel("cadre-years")
            ax.legend()
            fig.tight_layout()
            fig.savefig(out / "cadre_hours.png", dpi=120)
            plt.close(fig)
    (out / "figures.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    print(f"wrote {out}/figures.json and PNGs")


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("scale")
    s.add_argument("--scenario", choices=("national", "cadre"), default="national")
    s.add_argument("--orgs", type=int, nargs="+", default=[2300, 40000])
    s.add_argument("--no-baseline", dest="baseline", action="store_false")
    s.add_argument("--ingest-max", type=int, default=0, help="ingest datasets up to this many orgs")
    s.add_argument("--before", help="also time this earlier commit's generator (git ref)")
    s.add_argument("--before-orgs", type=int, nargs="+", default=[])
    s.add_argument("--tmp", help="folder for the datasets (deleted after)")
    f = sub.add_parser("figures")
    f.add_argument("--out", default="var/bench_demo")
    w = sub.add_parser("worker")
    w.add_argument("step")
    w.add_argument("--scenario")
    w.add_argument("--orgs", type=int)
    w.add_argument("--dir", type=Path)
    args = ap.parse_args()
    if args.cmd == "worker":
        print(json.dumps(worker(args.step, args.scenario, args.orgs, args.dir)))
    elif args.cmd == "scale":
        scale(args)
    else:
        figures(args)


if __name__ == "__main__":
    main()
