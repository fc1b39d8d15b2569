"""Display fields of the API's answers (issue 23): ``<field>_label`` beside each code.

The API keeps its codes (``status: "at_risk"``, ``role: "head"``, ``mode:
"offline"`` — the contract scripts read) and gains, beside each, the text a person
reads, from the one label catalogue (``engine.labels``) in the service's language
(``Settings.lang``, i.e. ``LEARNMAP_LANG``, Chinese by default).  The names mirror the
CSV exports' display columns (``engine.labels.display_frame(rename=False)``):
``status_label``, ``role_label``, ``org_type_label``, ``mode_label``, ``tier_label``,
``region_label``, ``policy_label``, ``forecast_vs_status_label``, ``evidence_label``,
and on the learning map ``kind_label``.

Choices where the issue is silent:

- a code that is null (not known, or suppressed for researchers by ``api.privacy``)
  has a null label: a label never says more than its code;
- several roles in one value (``head|supervisor``) read as one text (负责人、监事), as
  in the exports;
- the language is the server's, not the caller's (no ``Accept-Language``): one
  deployment serves one office, and cached answers stay one per data version.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.labels import label, label_many

__all__ = ["LINK_KINDS", "NODE_KINDS", "ORG_KINDS", "RISK_KINDS", "labelled", "shown"]

#: field → enumeration kind, per kind of record
RISK_KINDS = {"status": "status", "forecast_vs_status": "forecast_vs_status"}
ORG_KINDS = {"region": "region", "org_type": "org_type"}
#: a learning-map node: its kind, and a module's mode, tier and the person's status in it
NODE_KINDS = {
    "kind": "node_kind",
    "mode": "mode",
    "tier": "tier",
    "status": "participation_status",
}
LINK_KINDS = {"kind": "link_kind"}


def shown(kind: str, code: object, lang: str) -> str | None:
    """The label of ``code`` (None for a null code); roles may be ``|``-separated."""
    if code is None or (isinstance(code, float) and code != code):
        return None
    return (label_many if kind == "role" else label)(kind, code, lang)


def labelled(record: Mapping[str, object], kinds: Mapping[str, str], lang: str) -> dict:
    """``record`` with ``<field>_label`` right after each field named in ``kinds`` that
    it has; every field and its value are kept as they are."""
    out: dict[str, object] = {}
    for key, value in record.items():
        out[key] = value
        kind = kinds.get(key)
        if kind is not None:
            out[f"{key}_label"] = shown(kind, value, lang)
    return out
