"""What researchers may see of a staff list (issue 22, defect 8).

Pseudonyms alone do not protect people: an organization has one head, so "the head of
ORG, hired 2019-03-04" is a person.  For the researcher role a staff list releases:

- no dates of a person (``hired_on``, ``left_on`` and ``deadline`` — which follows the
  hire date — are suppressed: null);
- the quasi-identifiers ``role`` and ``employed`` only where at least ``k`` people of
  the organization share the combination (``LEARNMAP_API_K_ANONYMITY``, default 5):
  ``role`` is suppressed (null) first for the rows of smaller groups, then
  ``employed``; rows whose fully suppressed group is still smaller than ``k`` are left
  out of the list (record suppression: ``count`` still counts them, so a researcher
  sees that rows were withheld) — as is every row of an organization with fewer than
  ``k`` staff.

So every combination of released quasi-identifiers is shared by at least ``k`` people
of the organization (k-anonymity over the released columns,
``tests/api/test_privacy.py``).  Statuses, hours and risk are the attributes
researchers study; they are released as they are.
"""

from __future__ import annotations

import pandas as pd

QUASI = ("role", "employed")
SUPPRESSED_DATES = ("hired_on", "left_on", "deadline")


def k_anonymize(frame: pd.DataFrame, k: int) -> pd.DataFrame:
    """``frame`` (one organization's staff, columns ``QUASI``) generalized so that each
    combination of ``QUASI`` values occurs at least ``k`` times; None = suppressed.
    Empty when the organization has fewer than ``k`` people."""
    if len(frame) < k:
        return frame.iloc[:0]
    out = frame.copy()
    cols = list(QUASI)
    for col in cols:
        out[col] = out[col].astype(object)
    for col in cols:  # role first, then employed, for the rows of groups under k
        out.loc[_small(out, cols, k), col] = None
    return out[~_small(out, cols, k)]  # a fully suppressed group under k: left out


def _small(frame: pd.DataFrame, cols: list[str], k: int) -> pd.Series:
    sizes = frame.groupby(cols, dropna=False)[cols[0]].transform("size")
    return sizes < k
