"""Exact seat allocation: which eligible (person, session) pairs get a seat.

The problem (built from the tables by ``models.allocate``):

- ``pairs``: the eligible (person, session) pairs, each with a ``weight`` (the
  person's need, > 0) — a person never appears with a module they completed;
- each session has ``capacity`` free seats; each organization may hold at most
  ``org_cap`` seats of one session (名额分配, None = no cap);
- each person gets at most ``per_person`` seats in the period; with more than one,
  never two sessions of the same module and never two sessions that overlap in time.

Maximise the total weight of the chosen pairs.  With ``per_person == 1`` this is a
min-cost flow (source → person → (session, org) → session → sink, plus a zero-cost
source → sink bypass so that unprofitable seats stay empty), solved by networkx's
network simplex on integer costs (weights rounded to 1/``SCALE``) — or, for large
graphs, the same linear program by HiGHS's dual simplex (``min_cost_flow``).  With more seats per
person the conflict constraints break the flow structure and it is solved as a 0/1
integer program by scipy's HiGHS (``scipy.optimize.milp``).  Both are exact for the
rounded weights; ties are broken by whatever optimum the solver returns.

At scale (one seat per person, the weight a property of the person, as
``models.allocate`` builds it) ``solve_greedy`` is used instead: matroid greedy with
augmenting paths on the implicit pairs — exact too, and it never lists the
people × sessions pairs.  The tests check all three against brute force.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from engine.errors import LearnmapError

__all__ = ["SCALE", "SeatProblem", "objective", "solve", "solve_flow", "solve_milp"]

#: Weights are compared after rounding to 1 / SCALE (integer costs for the flow solver).
SCALE = 1000


@dataclass
class SeatProblem:
    """Integer-coded instance.

    pairs    : DataFrame with ``person``, ``session`` (integer codes) and ``weight``.
    org      : organization code of each person (length n_people).
    capacity : free seats per session (length n_sessions; ≥ 0).
    module   : module code per session (repeated modules are forbidden per person).
    starts, ends : int day numbers per session (inclusive), for time conflicts.
    org_cap  : seats per organization per session (None = unlimited).
    per_person : seats per person in the period (≥ 1).
    """

    pairs: pd.DataFrame
    org: np.ndarray
    capacity: np.ndarray
    module: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    org_cap: int | None = None
    per_person: int = 1

    def __post_init__(self) -> None:
        if self.per_person < 1:
            raise LearnmapError(f"seats per person must be at least 1, got {self.per_person}")
        if self.org_cap is not None and self.org_cap < 1:
            raise LearnmapError(
                f"seats per organization per session must be at least 1, got {self.org_cap}"
            )
        if len(self.pairs) and (self.pairs["weight"].to_numpy() <= 0).any():
            raise ValueError("pair weights must be positive")


def objective(problem: SeatProblem, chosen: np.ndarray) -> float:
    """Total (rounded) weight of the chosen pair indices."""
    w = np.round(problem.pairs["weight"].to_numpy(float) * SCALE) / SCALE
    return float(w[np.asarray(chosen, dtype=int)].sum())


def solve(problem: SeatProblem) -> np.ndarray:
    """Indices (into ``problem.pairs``) of an optimal set of seats, sorted."""
    if len(problem.pairs) == 0:
        return np.zeros(0, dtype=int)
    if problem.per_person == 1:
        return solve_flow(problem)
    return solve_milp(problem)


def solve_flow(problem: SeatProblem) -> np.ndarray:
    """Min-cost flow for one seat per person (see the module docstring).

    People of one organization with the same set of eligible sessions are
    interchangeable except for their weight, so the graph is built on *hubs* (org ×
    eligible set) fed by one node per (hub, weight) with capacity = its head count:
    exact, and far smaller than one node per person.  The seats a hub receives go to
    its heaviest people (ties by person code)."""
    if problem.per_person != 1:
        raise ValueError("the flow formulation needs per_person == 1")
    pairs = problem.pairs.reset_index(drop=True)
    p = pairs["person"].to_numpy()
    s = pairs["session"].to_numpy()
    w = np.round(pairs["weight"].to_numpy(float) * SCALE).astype(np.int64)
    order = np.lexsort((s, p))
    p, s, w = p[order], s[order], w[order]
    bounds = np.flatnonzero(np.r_[True, p[1:] != p[:-1], True])
    people = p[bounds[:-1]]
    if any(len(np.unique(w[a:b])) > 1 for a, b in zip(bounds[:-1], bounds[1:], strict=True)):
        raise ValueError("the flow formulation needs one weight per person")
    person_w = w[bounds[:-1]]
    elig = [tuple(s[a:b].tolist()) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    hub_key = pd.Series(list(zip(problem.org[people].tolist(), elig, strict=True)), dtype=object)
    hub, hub_uniq = pd.factorize(hub_key)
    n = len(people)
    g = nx.DiGraph()
    g.add_node("src", demand=-n)
    g.add_node("sink", demand=n)
    g.add_edge("src", "sink", capacity=n, weight=0)
    groups = pd.DataFrame({"hub": hub, "w": person_w}).groupby(["hub", "w"]).size()
    for (h, wt), count in groups.items():
        g.add_edge("src", ("g", h, wt), capacity=int(count), weight=-int(wt))
        g.add_edge(("g", h, wt), ("h", h), capacity=int(count), weight=0)
    cap_so = problem.org_cap if problem.org_cap is not None else n
    so_seen: set[tuple[int, int]] = set()
    for h, (org, sessions) in enumerate(hub_uniq):
        for ses in sessions:
            g.add_edge(("h", h), ("so", ses, org), capacity=n, weight=0)
            if (ses, org) not in so_seen:
                so_seen.add((ses, org))
                g.add_edge(("so", ses, org), ("s", ses), capacity=cap_so, weight=0)
    for ses in np.unique(s).tolist():
        g.add_edge(("s", ses), "sink", capacity=int(problem.capacity[ses]), weight=0)
    flow = min_cost_flow(g)
    # disaggregate: per hub, its heaviest people fill the seats its sessions received
    index = {
        (int(a), int(b)): i
        for i, (a, b) in enumerate(
            zip(pairs["person"].to_numpy(), pairs["session"].to_numpy(), strict=True)
        )
    }
    chosen: list[int] = []
    members = pd.DataFrame({"person": people, "hub": hub, "w": person_w})
    members = members.sort_values(["hub", "w", "person"], ascending=[True, False, True])
    for h, grp in members.groupby("hub", sort=False):
        org, sessions = hub_uniq[h]
        seats = [ses for ses in sessions for _ in range(flow[("h", h)].get(("so", ses, org), 0))]
        taken = 0
        # how many of each weight class got a seat
        got = {wt: flow["src"].get(("g", h, wt), 0) for wt in grp["w"].unique().tolist()}
        for person, wt in zip(grp["person"].tolist(), grp["w"].tolist(), strict=True):
            if got[wt] > 0 and taken < len(seats):
                chosen.append(index[(person, seats[taken])])
                got[wt] -= 1
                taken += 1
    return np.asarray(sorted(chosen), dtype=int)


#: Graphs with more edges than this go to HiGHS instead of networkx's network simplex.
NX_MAX_EDGES = 20_000


def min_cost_flow(g: nx.DiGraph, backend: str = "auto") -> dict:
    """A min-cost flow of ``g`` (node ``demand``, edge ``capacity`` / ``weight``), as
    networkx's flow dict.  ``backend``: ``networkx`` (network simplex), ``highs`` (the
    same linear program by HiGHS's dual simplex: a basic optimum of a network LP with
    integer data is integral) or ``auto`` (networkx below ``NX_MAX_EDGES`` edges)."""
    if backend == "networkx" or (backend == "auto" and g.number_of_edges() <= NX_MAX_EDGES):
        return nx.network_simplex(g)[1]
    nodes = {v: i for i, v in enumerate(g.nodes)}
    edges = list(g.edges(data=True))
    tail = np.fromiter((nodes[u] for u, _, _ in edges), np.int64, len(edges))
    head = np.fromiter((nodes[v] for _, v, _ in edges), np.int64, len(edges))
    cap = np.fromiter((d["capacity"] for _, _, d in edges), float, len(edges))
    cost = np.fromiter((d.get("weight", 0) for _, _, d in edges), float, len(edges))
    demand = np.fromiter((g.nodes[v].get("demand", 0) for v in g.nodes), float, len(nodes))
    m = len(edges)
    a = sp.csr_matrix(
        (np.r_[np.ones(m), -np.ones(m)], (np.r_[head, tail], np.r_[np.arange(m), np.arange(m)])),
        shape=(len(nodes), m),
    )
    res = linprog(cost, A_eq=a, b_eq=demand, bounds=np.c_[np.zeros(m), cap], method="highs-ds")
    if res.x is None:
        raise LearnmapError(f"seat allocation: the flow solver failed ({res.message})")
    x = np.round(res.x).astype(np.int64)
    if np.abs(res.x - x).max() > 1e-6:  # pragma: no cover - cannot happen for a basic optimum
        return nx.network_simplex(g)[1]
    flow: dict = {v: {} for v in g.nodes}
    for (u, v, _), f in zip(edges, x.tolist(), strict=True):
        flow[u][v] = f
    return flow


def _conflict_rows(problem: SeatProblem) -> list[np.ndarray]:
    """Groups of pair indices of which at most one may be chosen: the same person in
    sessions of one module, or in sessions all running on one day (interval cliques:
    every maximal set of overlapping sessions contains some session's first day)."""
    pairs = problem.pairs
    frame = pd.DataFrame(
        {
            "i": np.arange(len(pairs)),
            "p": pairs["person"].to_numpy(),
            "s": pairs["session"].to_numpy(),
        }
    )
    frame["m"] = problem.module[frame["s"].to_numpy()]
    groups: list[np.ndarray] = []
    for _, g in frame.groupby(["p", "m"], sort=False):
        if len(g) > 1:
            groups.append(g["i"].to_numpy())
    used = np.unique(frame["s"].to_numpy())
    starts, ends = problem.starts[used], problem.ends[used]
    cliques = []
    for t in np.unique(starts):
        members = used[(starts <= t) & (ends >= t)]
        if len(members) > 1:
            cliques.append(members)
    if cliques:
        member = pd.DataFrame(
            {
                "c": np.repeat(np.arange(len(cliques)), [len(c) for c in cliques]),
                "s": np.concatenate(cliques),
            }
        )
        joined = frame.merge(member, on="s")
        for _, g in joined.groupby(["p", "c"], sort=False):
            if len(g) > 1:
                groups.append(g["i"].to_numpy())
    return groups


def solve_milp(problem: SeatProblem) -> np.ndarray:
    """0/1 integer program (HiGHS) for any seats-per-person limit."""
    pairs = problem.pairs
    n = len(pairs)
    p = pairs["person"].to_numpy()
    s = pairs["session"].to_numpy()
    o = problem.org[p]
    rows: list[sp.csr_matrix] = []
    ubs: list[np.ndarray] = []

    def group_rows(keys: np.ndarray, ub: np.ndarray | float) -> None:
        codes, uniq = pd.factorize(pd.Series(list(keys)) if keys.ndim > 1 else keys)
        m = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(len(uniq), n))
        rows.append(m)
        ubs.append(np.broadcast_to(np.asarray(ub, float), (len(uniq),)).copy())
        return uniq

    group_rows(p, float(problem.per_person))
    uniq_s = pd.unique(s)
    codes = pd.Index(uniq_s).get_indexer(s)
    rows.append(sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(len(uniq_s), n)))
    ubs.append(problem.capacity[uniq_s].astype(float))
    if problem.org_cap is not None:
        key = pd.Series(s.astype(np.int64) * (int(problem.org.max()) + 1) + o.astype(np.int64))
        group_rows(key.to_numpy(), float(problem.org_cap))
    groups = _conflict_rows(problem)
    if groups:
        r = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
        c = np.concatenate(groups)
        rows.append(sp.csr_matrix((np.ones(len(c)), (r, c)), shape=(len(groups), n)))
        ubs.append(np.ones(len(groups)))
    a = sp.vstack(rows).tocsr()
    ub = np.concatenate(ubs)
    cost = -np.round(pairs["weight"].to_numpy(float) * SCALE)
    res = milp(
        cost,
        constraints=LinearConstraint(a, -np.inf, ub),
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
    )
    if res.x is None:  # pragma: no cover - x = 0 is always feasible
        raise LearnmapError(f"seat allocation: the solver failed ({res.message})")
    return np.flatnonzero(res.x > 0.5)


# -- one seat per person, at scale: greedy on a matroid with augmenting paths ------------
def solve_greedy(
    weight: np.ndarray,
    org: np.ndarray,
    capacity: np.ndarray,
    eligible,  # noqa: ANN001 - callable: person code → bool mask over sessions
    org_cap: int | None = None,
    augment: bool = True,
) -> np.ndarray:
    """Session per person (−1 = no seat) maximising the total weight, for one seat per
    person and one weight per person (``weight``, > 0), without listing the pairs.

    Exact: with the weight a property of the person, the sets of people that can be
    seated together are the independent sets of a gammoid (a matroid: flow from the
    people through (session, organization) slots of capacity ``org_cap`` and sessions
    of capacity ``capacity``), so taking people in order of weight and keeping each one
    who can still be seated — possibly by moving people already seated to other
    sessions along an augmenting path — gives a maximum-weight set (Edmonds' greedy
    theorem).  Nobody seated is ever unseated.  A search that finds no augmenting path
    marks every node it reached as dead: that region has no path to a free seat and,
    since later augmentations cannot enter it, never will (Kuhn's lemma), so the
    total search work stays near-linear.  Ties in weight are taken by person code.

    ``eligible(x)`` returns person ``x``'s sessions as a bool mask (length n_sessions).
    Among the directly free sessions a person gets the one with most seats left (ties:
    the lowest code).  ``augment=False`` is plain neediest-first (nobody is moved: not
    optimal; the benchmark's baseline)."""
    weight = np.asarray(weight, float)
    n_p = len(weight)
    cap = np.asarray(capacity, np.int64)
    n_s = len(cap)
    org_codes, _ = pd.factorize(np.asarray(org))
    n_o = max(int(org_codes.max()) + 1, 1) if n_p else 1
    q = np.iinfo(np.int32).max if org_cap is None else int(org_cap)
    slot_cnt = np.zeros((n_o, n_s), np.int32)
    sess_cnt = np.zeros(n_s, np.int64)
    assign = np.full(n_p, -1, np.int64)
    members: dict[tuple[int, int], set[int]] = {}
    dead_slot = np.zeros((n_o, n_s), bool)
    dead_sess = np.zeros(n_s, bool)
    dead_person = np.zeros(n_p, bool)
    slot_seen = np.zeros((n_o, n_s), np.int32)
    sess_seen = np.zeros(n_s, np.int32)
    person_seen = np.zeros(n_p, np.int32)
    stamp = 0
    open_ = cap > 0

    def seat(x: int, s: int) -> None:
        o = int(org_codes[x])
        old = int(assign[x])
        if old >= 0:
            slot_cnt[o, old] -= 1
            sess_cnt[old] -= 1
            members[(o, old)].discard(x)
        assign[x] = s
        slot_cnt[o, s] += 1
        sess_cnt[s] += 1
        members.setdefault((o, s), set()).add(x)

    order = np.lexsort((np.arange(n_p), -weight))
    for p in order.tolist():
        o_p = int(org_codes[p])
        mask = np.asarray(eligible(p), bool) & open_
        direct = mask & (sess_cnt < cap) & (slot_cnt[o_p] < q)
        if direct.any():
            idx = np.flatnonzero(direct)
            seat(p, int(idx[np.argmax(cap[idx] - sess_cnt[idx])]))
            continue
        if not augment:
            continue
        # breadth-first search for an augmenting path in the residual network
        stamp += 1
        person_seen[p] = stamp
        parent: dict[tuple, tuple] = {}
        queue: list[tuple] = []
        for s in np.flatnonzero(mask & ~dead_slot[o_p]).tolist():
            slot_seen[o_p, s] = stamp
            node = ("l", o_p, s)
            parent[node] = ("p", p)
            queue.append(node)
        found = None
        head = 0
        while head < len(queue) and found is None:
            node = queue[head]
            head += 1
            if node[0] == "l":
                _, o, s = node
                if slot_cnt[o, s] < q and sess_seen[s] != stamp and not dead_sess[s]:
                    sess_seen[s] = stamp
                    parent[("s", s)] = node
                    queue.append(("s", s))
                for x in members.get((o, s), ()):
                    if person_seen[x] != stamp and not dead_person[x]:
                        person_seen[x] = stamp
                        parent[("p", x)] = node
                        queue.append(("p", x))
            elif node[0] == "s":
                s = node[1]
                if sess_cnt[s] < cap[s]:
                    found = node
                    break
                col = np.flatnonzero(
                    (slot_cnt[:, s] > 0) & (slot_seen[:, s] != stamp) & ~dead_slot[:, s]
                )
                for o in col.tolist():
                    slot_seen[o, s] = stamp
                    parent[("l", o, s)] = node
                    queue.append(("l", o, s))
            else:
                x = node[1]
                o = int(org_codes[x])
                m = np.asarray(eligible(x), bool) & open_
                m[assign[x]] = False
                new = np.flatnonzero(m & (slot_seen[o] != stamp) & ~dead_slot[o])
                slot_seen[o, new] = stamp
                for s in new.tolist():
                    parent[("l", o, s)] = node
                    queue.append(("l", o, s))
        if found is None:
            for node in queue:
                if node[0] == "l":
                    dead_slot[node[1], node[2]] = True
                elif node[0] == "s":
                    dead_sess[node[1]] = True
                else:
                    dead_person[node[1]] = True
            continue
        # walk back: every person on the path moves into the slot that follows it
        moves: list[tuple[int, int]] = []
        node = found
        while node != ("p", p):
            prev = parent[node]
            if node[0] == "l" and prev[0] == "p":
                moves.append((prev[1], node[2]))
            node = prev
        for x, s in moves:
            seat(x, s)
    return assign


def solve_problem_greedy(problem: SeatProblem) -> np.ndarray:
    """``solve_greedy`` on an explicit ``SeatProblem`` (one seat per person, one weight
    per person): indices of the chosen pairs, sorted."""
    if problem.per_person != 1:
        raise ValueError("the greedy solver needs per_person == 1")
    pairs = problem.pairs.reset_index(drop=True)
    if not len(pairs):
        return np.zeros(0, dtype=int)
    p = pairs["person"].to_numpy(np.int64)
    s = pairs["session"].to_numpy(np.int64)
    n_p, n_s = len(problem.org), len(problem.capacity)
    w = np.zeros(n_p)
    np.maximum.at(w, p, np.round(pairs["weight"].to_numpy(float) * SCALE))
    if (np.round(pairs["weight"].to_numpy(float) * SCALE) != w[p]).any():
        raise ValueError("the greedy solver needs one weight per person")
    elig = sp.csr_matrix((np.ones(len(p), bool), (p, s)), shape=(n_p, n_s))

    def eligible(x: int) -> np.ndarray:
        m = np.zeros(n_s, bool)
        m[elig.indices[elig.indptr[x] : elig.indptr[x + 1]]] = True
        return m

    w = np.where(w > 0, w, 0.0)
    assign = solve_greedy(w, problem.org, problem.capacity, eligible, problem.org_cap)
    index = pd.Series(np.arange(len(pairs)), index=pd.MultiIndex.from_arrays([p, s]))
    who = np.flatnonzero(assign >= 0)
    return np.sort(index.loc[list(zip(who, assign[who], strict=True))].to_numpy())
