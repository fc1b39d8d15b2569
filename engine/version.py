"""The installed learnmap version (one home: manifests, ``/version``, environments)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["package_version"]


def package_version() -> str:
    """The installed learnmap version (``unknown`` when not installed)."""
    try:
        return version("learnmap")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"
