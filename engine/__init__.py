"""The engine layer: schema and validation, readers, the store, policies, demo data, CLI.

Imports nothing from ``features``, ``models``, ``api`` or ``experiments``.
"""

__version__ = "0.1.0"
