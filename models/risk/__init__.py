"""Risk models: staff risk (``features`` → ``backtest`` → ``estimator`` with the
negative-binomial step in ``negbin``, the season in ``season`` and the reasons in
``drivers``), organization risk (``org``), course risk (``course`` on the rows of
``course_features``), the saved model (``artifacts``) and the CLI commands.
Importing the package imports nothing else (the CLI loads it at start-up).
"""
