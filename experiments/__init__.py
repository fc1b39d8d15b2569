"""learnmap experiments layer: configs, splits, metrics, peers, runner, reports.

``run_experiment(config) -> DataFrame`` and ``learnmap experiment run CONFIG --out DIR``.
Importing the package registers the harness's models (peers, oracles, risk baselines)
in ``models.registry``.
"""

from models.registry import register

register("implicit-als", "experiments.peers:ImplicitALS", extra="peers")
register("implicit-bpr", "experiments.peers:ImplicitBPR", extra="peers")
register("implicit-cosine", "experiments.peers:ImplicitCosine", extra="peers")
register("oracle", "experiments.oracle:OracleRecommender")
register("rule", "experiments.risk_models:RuleRisk", task="risk")
register("logreg", "experiments.risk_models:LogRegRisk", task="risk")
register("oracle", "experiments.oracle:OracleRisk", task="risk")


def run_experiment(config, out=None, progress=False, fresh=False):  # noqa: ANN001, ANN201
    """See ``experiments.runner.run_experiment``."""
    from experiments.runner import run_experiment as _run

    return _run(config, out=out, progress=progress, fresh=fresh)


__all__ = ["run_experiment"]
