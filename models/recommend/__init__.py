"""Module recommenders: the contract (``base``), what they learn from (``data``),
which modules may be recommended (``filters``), top-k with reasons (``ranking``), the
shared evidence (``evidence``), one module per model, and the saved-model, batch and
CLI code.  Importing the package imports nothing else (the CLI loads it at start-up).
"""
