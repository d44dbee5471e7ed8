"""Which cells of one tenant's month may be published (the rule is in docs/benchmarking.md).

A cell is a point of the extended table: four dimensions (unit kind, sector, position category,
staff kind), each a category or ALL (the margin). Every non-empty cell of every level is a
candidate, so a reader can break a province down by any combination of dimensions.

1. Primary suppression: a cell with fewer than `min_size` officials is never published.
2. Complementary suppression: every primary cell is put inside a pattern of suppressed cells that
   can be perturbed together without changing any published figure: an even cycle through the
   cell in the plane of unit kind and sector (margins count as a row and a column of their own),
   times a pair of values (another category, or ALL) in each of the other two dimensions — the
   classic hypercube when the cycle has four cells. Signs alternating along the cycle and across
   each pair (equal across a category and its margin) change no published total, so no
   combination of published figures — a total minus its other parts, or two overlapping
   breakdowns — pins the cell down. The cells are chosen non-empty (so the perturbation is
   feasible either way) and cheap: already suppressed, few people, few margins; the province
   total is never one of them.
3. An audit checks the result by linear algebra: with the published cells as equations over the
   suppressed non-empty finest cells (empty cells counted as known zeros, which favours the
   attacker), no primary cell may lie in their row space. If one does, the cells on its lines are
   suppressed too; if that still fails the month is withheld entirely (fail closed).

The same protection covers every additive figure of a cell (counts, sums behind the means), since
they add up over the same finest cells.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import product

import numpy as np
from threadpoolctl import threadpool_limits

from kpi_platform.benchmarking.models import ALL

Key = tuple[str, str, str, str]
N = 4
OPTIONS_PER_DIMENSION = 3  # the cheapest second values tried in each dimension
GRAND: Key = (ALL,) * N
CORNERS = list(product((0, 1), repeat=N))


@dataclass
class Outcome:
    primary: set[Key] = field(default_factory=set)
    complementary: set[Key] = field(default_factory=set)
    withheld: bool = False

    @property
    def suppressed(self) -> set[Key]:
        return self.primary | self.complementary


def margins_of(key: Key) -> list[Key]:
    """The cell itself and every cell above it (any of its dimensions replaced by ALL)."""
    return [tuple(ALL if bit else value for value, bit in zip(key, bits, strict=True)) for bits in CORNERS]


def _with(key: Key, dimension: int, value: str) -> Key:
    return (*key[:dimension], value, *key[dimension + 1 :])


def _weights(counts: dict[Key, int]) -> dict[Key, int]:
    """What suppressing a cell costs: its people, much more for margins (they are read most)."""
    return {key: n * 4 ** sum(1 for value in key if value == ALL) for key, n in counts.items()}


def _protection(cell: Key, counts, weights, suppressed, categories) -> list[Key] | None:
    """The cheapest set of non-empty cells (the cell among them) that can be perturbed together
    without changing any other cell: a cycle in the plane of the first two dimensions (unit kind
    and sector, where structural zeros are: a commune has no health department) times a pair of
    values in each of the other two. A 4-cycle times the pairs is the classic hypercube."""

    def cost(key: Key) -> int:
        return 0 if key in suppressed else weights[key]

    def seconds(k: int) -> list[str]:
        values = set(categories[k]) - {cell[k]}
        if cell[k] != ALL:
            values.add(ALL)
        ranked = sorted((cost(_with(cell, k, v)), v) for v in values if _with(cell, k, v) in counts)
        return [v for _, v in ranked[:OPTIONS_PER_DIMENSION]]

    rows, cols = [*categories[0], ALL], [*categories[1], ALL]
    best, best_cost = None, None
    for third, fourth in product(seconds(2), seconds(3)):
        layers = [(x, y) for x in (cell[2], third) for y in (cell[3], fourth)]
        edges: dict[tuple[str, str], tuple | None] = {}

        def edge(i: str, j: str, layers=layers, edges=edges):
            if (i, j) not in edges:
                keys = [(i, j, x, y) for x, y in layers]
                if any(k not in counts or (k == GRAND and k not in suppressed) for k in keys):
                    edges[(i, j)] = None
                else:
                    edges[(i, j)] = (keys, sum(cost(k) for k in keys))
            return edges[(i, j)]

        start_edge = edge(cell[0], cell[1])
        if start_edge is None or (best_cost is not None and start_edge[1] >= best_cost):
            continue
        # Dijkstra from the cell's column back to its row, not over the cell itself: with the cell,
        # an even cycle of the bipartite graph of rows and columns (margins included).
        source, target = ("c", cell[1]), ("r", cell[0])
        bound = None if best_cost is None else best_cost - start_edge[1]
        distance, previous, queue = {source: 0}, {}, [(0, source)]
        while queue:
            here_cost, here = heapq.heappop(queue)
            if here == target or (bound is not None and here_cost >= bound):
                break
            if here_cost > distance.get(here, here_cost):
                continue
            side, value = here
            for other in rows if side == "c" else cols:
                i, j = (other, value) if side == "c" else (value, other)
                if (i, j) == (cell[0], cell[1]):
                    continue
                found = edge(i, j)
                if found is None:
                    continue
                there = ("r" if side == "c" else "c", other)
                total = here_cost + found[1]
                if total < distance.get(there, total + 1):
                    distance[there], previous[there] = total, (here, found[0])
                    heapq.heappush(queue, (total, there))
        if target not in previous or (bound is not None and distance[target] >= bound):
            continue
        keys, node = list(start_edge[0]), target
        while node != source:
            node, step = previous[node]
            keys += step
        best, best_cost = keys, start_edge[1] + distance[target]
        if best_cost == 0:
            break
    return best


def _system(counts: dict[Key, int], columns: list[Key], rows: list[Key] | None, suppressed: set[Key]):
    """Indicator rows of the published cells (or of `rows`) over the given finest cells."""
    column = {key: i for i, key in enumerate(columns)}
    members: dict[Key, list[int]] = defaultdict(list)
    for key in columns:
        for margin in margins_of(key):
            members[margin].append(column[key])
    keys = [key for key in members if key not in suppressed] if rows is None else rows
    matrix = np.zeros((len(keys), len(columns)))
    for row, key in enumerate(keys):
        matrix[row, members.get(key, [])] = 1.0
    return keys, matrix


def disclosed(counts: dict[Key, int], suppressed: set[Key], targets: set[Key]) -> dict[Key, list[Key]]:
    """The target cells whose value follows from the published ones by linear algebra, each with
    the published cells that a (minimum-norm) combination disclosing it uses.

    The check runs on the suppressed finest cells only (a published finest cell is a known value);
    only when something is disclosed is the whole system solved, to name the cells it used."""
    ordered = sorted(targets)
    unknown = sorted(k for k in suppressed if ALL not in k and k in counts)
    if not ordered or not unknown:
        return {}
    published, r = _system(counts, unknown, None, suppressed)
    _, b = _system(counts, unknown, ordered, suppressed)
    if not published:
        return {}
    if not _in_row_space(r, b).any():
        return {}
    finest = sorted(k for k in counts if ALL not in k)
    published, r = _system(counts, finest, None, suppressed)
    _, b = _system(counts, finest, ordered, suppressed)
    leaked, weights = _in_row_space(r, b, combinations=True)
    return {
        key: [published[j] for j in np.flatnonzero(np.abs(weights[index]) > 1e-9)]
        for index, key in enumerate(ordered)
        if leaked[index]
    }


def _in_row_space(r, b, *, combinations: bool = False):
    # One BLAS thread: on a small machine OpenBLAS's threads make this SVD ten times slower.
    with threadpool_limits(limits=1, user_api="blas"):
        u, singular, vt = np.linalg.svd(r, full_matrices=False)
    keep = singular > singular.max() * 1e-9
    u, singular, vt = u[:, keep], singular[keep], vt[keep]
    projected = b @ vt.T
    leaked = np.linalg.norm(b - projected @ vt, axis=1) < 1e-7 * np.linalg.norm(b, axis=1)
    if not combinations:
        return leaked
    return leaked, (projected / singular) @ u.T  # b = weights @ r, the minimum-norm combination


MAX_AUDIT_ROUNDS = 60


def suppress(counts: dict[Key, int], min_size: int) -> Outcome:
    """counts: the headcount of every non-empty cell of every level (ALL for a margin)."""
    outcome = Outcome(primary={key for key, n in counts.items() if n < min_size})
    if not outcome.primary:
        return outcome
    if GRAND in outcome.primary:  # the whole province is under the minimum: nothing at all
        outcome.primary = set(counts)
        return outcome
    categories = [sorted({key[k] for key in counts if key[k] != ALL}) for k in range(N)]
    weights = _weights(counts)
    suppressed = set(outcome.primary)
    order = sorted(outcome.primary, key=lambda key: (sum(v == ALL for v in key), counts[key], key))
    for cell in order:
        # When nothing fits (the cell's own lines hold nothing else), the audit below protects it.
        suppressed.update(_protection(cell, counts, weights, suppressed, categories) or ())
    for _ in range(MAX_AUDIT_ROUNDS):
        leaks = disclosed(counts, suppressed, outcome.primary)
        if not leaks:
            break
        for used in leaks.values():  # break the combination at its cheapest published cell
            choices = [key for key in used if key != GRAND and key not in suppressed]
            if not choices:
                outcome.withheld = True
                break
            suppressed.add(min(choices, key=lambda key: (weights[key], key)))
        if outcome.withheld:
            break
    else:
        outcome.withheld = True
    if outcome.withheld:
        suppressed = set(counts)
    outcome.complementary = suppressed - outcome.primary
    return outcome
