"""Forming the working groups of one workshop round: the pure algorithm.

Why one module past ~400 lines: cohesive and pure (issue 13 keeps it whole).

Plain data in, plain data out: no Django, no ORM, standard library only, so the
views, a management command or a test can call it alike. User-facing messages
are plain French strings rather than ``gettext`` calls because importing
Django here would break that independence; the project is French-only anyway.

Two modes:

``random`` (mixing)
    Group sizes differ by at most one. Pairs of people who already sat together
    in an earlier round are avoided first (none at all whenever that is
    possible), then each actor type, then each territory, is spread as evenly
    as the numbers allow. A greedy construction (the most constrained people
    first, each to the cheapest open group) is followed by a seeded local
    search of swaps between groups that keeps the best grouping seen.

``peer`` (peer groups)
    Each group gathers a single actor type where the numbers allow. The rule,
    also shown on the page as :data:`PEER_RULE`:

    1. When there are more actor types than groups, the two least numerous
       types (or sets of types already merged) are put together, and again,
       until there are as many sets as groups; each merged set shares a group.
    2. Every set receives one group; each remaining group goes, one at a time,
       to the type whose groups are currently the largest on average (ties: the
       larger type, then the type seen first), so a numerous type is split into
       several groups of balanced sizes.
    3. Inside a type split over several groups, territories are dealt round-robin
       and, secondarily, pairs who already met are kept apart.
    4. People without an actor type join the smallest groups, one at a time.

The report (``Grouping.report``, also given by :func:`evaluate` for groups
moved by hand) is plain JSON: ``mode``, ``group_count``, ``sizes``,
``repeated_pairs`` (pairs now together who already sat together in an earlier
round), ``max_pair_repeats`` (most times one pair has now met, this round
included), ``min_possible_repeated_pairs`` (a sound pigeonhole lower bound)
and, per group, ``size``, ``actor_types`` and ``territories`` (distinct known
values), ``best_actor_types`` and ``best_territories`` (what the mode aims
for, to compare with) and ``repeated_pairs``.

Everything is deterministic for a given input and seed: one ``random.Random``
instance, people handled by their position in the input, and no iteration over
hash-ordered collections of strings.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

__all__ = ["PEER_RULE", "Grouping", "GroupingError", "Person", "evaluate", "form_groups"]

MODES = ("random", "peer")

PEER_RULE = (
    "Chaque type d'acteur reçoit un nombre de groupes proportionnel à son effectif ; "
    "un type trop nombreux est partagé en groupes équilibrés, où les territoires sont "
    "répartis ; quand il y a plus de types que de groupes, les types les moins nombreux "
    "partagent un groupe, en commençant par les plus petits ; les personnes sans type "
    "d'acteur rejoignent les plus petits groupes."
)

_SAMPLES = 12  # swap partners examined per local-search step
_DRIFT = 0.3  # chance that a repeat-neutral step costing balance is taken anyway


class GroupingError(ValueError):
    """An impossible request; the message is French and meant for the user."""


@dataclass(frozen=True)
class Person:
    id: int | str
    actor_type: str | int | None
    territory: str | int | None


@dataclass
class Grouping:
    groups: list[list]  # person ids; group i is groups[i]
    report: dict
    # Peer mode: the actor type(s) each group was formed for (empty list for a
    # group of people without a type). Empty in random mode.
    peer_labels: list[list] = field(default_factory=list)


# --------------------------------------------------------------------------- #
# Entry point
# --------------------------------------------------------------------------- #


def form_groups(
    people: Iterable[Person],
    *,
    group_count: int,
    mode: str,
    history: Iterable[Iterable[Iterable[Any]]] = (),
    seed: int = 0,
) -> Grouping:
    """Split `people` into `group_count` groups; see the module docstring.

    `history` holds earlier rounds, each a list of groups of ids; ids absent
    from `people` are ignored. Raises GroupingError (French message) when the
    request cannot be met.
    """
    people = list(people)
    _validate(people, group_count, mode)
    rng = random.Random(seed)
    types = _codes([p.actor_type for p in people])
    territories = _codes([p.territory for p in people])
    rounds = _history_rounds(people, history)
    neighbours = _neighbours(len(people), rounds)

    if mode == "random":
        assignment = _mix(
            types,
            territories,
            neighbours,
            group_count,
            rng,
            weights=_mixing_weights(len(people)),
            repeat_floor=sum(_round_bounds(rounds, group_count)),
            budget=_budget(len(people), neighbours),
        )
        members = _members(assignment, group_count)
        labels: list[list] = []
    else:
        budget = _budget(len(people), neighbours)
        members, units = _peer(types, territories, neighbours, rounds, group_count, rng, budget)
        labels = [_unit_labels(unit, people) for unit in units]

    report = _report(members, types, territories, neighbours, rounds, mode)
    return Grouping(
        groups=[[people[i].id for i in group] for group in members],
        report=report,
        peer_labels=labels,
    )


def evaluate(
    groups: Iterable[Iterable[Any]],
    people: Mapping[Any, Person] | Iterable[Person],
    history: Iterable[Iterable[Iterable[Any]]] = (),
    mode: str = "random",
) -> dict:
    """The report of `form_groups` for groups as they stand (e.g. after moves by hand).

    `people` gives the actor type and territory of each id (a mapping by id or
    a list); people outside `groups` only count for the peer rule's "best"
    figures, and an id missing from `people` counts without type or
    territory. Empty groups are allowed. Any mode other than "peer" (say
    "manual") is judged as mixing.
    """
    groups = [list(group) for group in groups]
    known = dict(people) if isinstance(people, Mapping) else {p.id: p for p in people}
    seated = dict.fromkeys(pid for group in groups for pid in group)
    # Everyone known (by the mapping's keys), then the unknown seated ids.
    population = [Person(pid, p.actor_type, p.territory) for pid, p in known.items()]
    population += [Person(pid, None, None) for pid in seated if pid not in known]
    position = {person.id: i for i, person in enumerate(population)}
    members: list[list[int]] = []
    placed: set[int] = set()
    for group in groups:
        members.append([])
        for pid in group:
            if position[pid] not in placed:  # someone listed twice counts once
                placed.add(position[pid])
                members[-1].append(position[pid])
    rounds = _history_rounds(population, history)
    return _report(
        members,
        _codes([p.actor_type for p in population]),
        _codes([p.territory for p in population]),
        _neighbours(len(population), rounds),
        rounds,
        str(mode),
    )


def _validate(people: list[Person], group_count: int, mode: str) -> None:
    if isinstance(group_count, bool) or not isinstance(group_count, int):
        raise GroupingError("Le nombre de groupes doit être un nombre entier.")
    if group_count < 1:
        raise GroupingError("Il faut au moins un groupe.")
    if mode not in MODES:
        raise GroupingError(
            f"Mode de répartition inconnu : « {mode} » (choisir « random » ou « peer »)."
        )
    if not people:
        raise GroupingError("Aucun·e participant·e à répartir.")
    if group_count > len(people):
        who = "participant·e" if len(people) == 1 else "participant·es"
        raise GroupingError(f"Impossible de former {group_count} groupes avec {len(people)} {who}.")
    seen: set[Any] = set()
    for person in people:
        if person.id in seen:
            raise GroupingError(f"La personne « {person.id} » figure deux fois dans la liste.")
        seen.add(person.id)
    if mode == "peer" and all(p.actor_type is None for p in people):
        raise GroupingError("Le mode par groupes de pairs demande des types d'acteur.")


# --------------------------------------------------------------------------- #
# Encoding: everything becomes small integers indexed by input position
# --------------------------------------------------------------------------- #


def _codes(values: Sequence[Any]) -> list[int]:
    """Number the distinct values by first appearance; None becomes -1.

    First appearance, not sorting, because ids and labels may mix int and str.
    """
    numbering: dict[Any, int] = {}
    codes = []
    for value in values:
        if value is None:
            codes.append(-1)
        else:
            codes.append(numbering.setdefault(value, len(numbering)))
    return codes


def _distinct(codes: Iterable[int]) -> list[int]:
    """Distinct known codes (None excluded), in first-appearance order."""
    return list(dict.fromkeys(c for c in codes if c >= 0))


def _history_rounds(
    people: list[Person], history: Iterable[Iterable[Iterable[Any]]]
) -> list[list[list[int]]]:
    """Earlier rounds as lists of groups of positions; unknown ids are dropped.

    One sits in one group per round: someone listed twice in a round counts
    in the first group only.
    """
    position = {person.id: i for i, person in enumerate(people)}
    rounds = []
    for past_round in history:
        seated: set[int] = set()
        groups = []
        for group in past_round:
            known = []
            for pid in group:
                p = position.get(pid)
                if p is not None and p not in seated:
                    seated.add(p)
                    known.append(p)
            if len(known) > 1:
                groups.append(known)
        rounds.append(groups)
    return rounds


def _neighbours(n: int, rounds: list[list[list[int]]]) -> list[dict[int, int]]:
    """For each person, who they met before and in how many rounds."""
    met: list[Counter[int]] = [Counter() for _ in range(n)]
    for past_round in rounds:
        for group in past_round:
            for p in group:
                met[p].update(group)  # counts p itself too, removed below
    for p, mine in enumerate(met):
        mine.pop(p, None)
    return [dict(mine) for mine in met]


def _round_bounds(rounds: list[list[list[int]]], group_count: int) -> list[int]:
    """Per earlier round, the fewest of its pairs that must sit together again.

    Pigeonhole: a former group of s people spread over k new groups leaves at
    least the pairs of the most even split (sizes floor/ceil of s/k) together.
    Ignoring the size limits of the new groups only weakens the bound.

    Sound consequences: the number of distinct repeated pairs is at least the
    largest of these (rounds may share pairs, so not their sum), and the sum
    of past meetings of co-grouped pairs, which the search minimises, is at
    least their sum.
    """
    return [sum(_even_split_pairs(len(group), group_count) for group in r) for r in rounds]


def _even_split_pairs(size: int, parts: int) -> int:
    base, extra = divmod(size, parts)
    return extra * (base + 1) * base // 2 + (parts - extra) * base * (base - 1) // 2


def _even_split_squares(total: int, parts: int) -> int:
    """Least sum of squared counts when `total` items go into `parts` bins."""
    base, extra = divmod(total, parts)
    return extra * (base + 1) ** 2 + (parts - extra) * base**2


def _members(assignment: list[int], group_count: int) -> list[list[int]]:
    members: list[list[int]] = [[] for _ in range(group_count)]
    for person, group in enumerate(assignment):
        members[group].append(person)
    return members


# --------------------------------------------------------------------------- #
# Mixing: greedy construction, then seeded local search of swaps
# --------------------------------------------------------------------------- #


def _mix(
    types: list[int],
    territories: list[int],
    neighbours: list[dict[int, int]],
    k: int,
    rng: random.Random,
    *,
    weights: tuple[int, int, int],
    repeat_floor: int,
    budget: int,
) -> list[int]:
    """Assign each person (by position) a group in range(k); sizes within one.

    Objective: w_r × (sum over pairs placed together of the rounds they already
    shared) + w_t × Σ(count of a type in a group)² + w_e × the same for
    territories. Squared counts are least when each value is spread evenly.
    """
    n = len(types)
    if k == 1:
        return [0] * n
    state = _State(types, territories, neighbours, k, weights)
    state.build(_greedy_order(neighbours, rng), rng)
    floor = (
        weights[0] * repeat_floor
        + weights[1] * _balance_floor(types, k)
        + weights[2] * _balance_floor(territories, k)
    )
    state.improve(rng, floor, repeat_floor, budget)
    return state.best


def _mixing_weights(n: int) -> tuple[int, int, int]:
    """Weights (repeats, actor types, territories) that make the order strict.

    A sum of squared counts never exceeds n², so one step of a criterion
    outweighs everything the criteria below it can add up to: one more
    repeated pair always costs more than any imbalance, and actor types count
    before territories.
    """
    w_territory = 1
    w_type = (n * n + 1) * w_territory
    w_repeat = (n * n + 1) * w_type
    return w_repeat, w_type, w_territory


def _budget(n: int, neighbours: list[dict[int, int]]) -> int:
    """Local-search iterations: generous for small rounds, bounded for large.

    A swap costs about as much as walking both people's acquaintances, so the
    iteration count shrinks as histories grow, keeping 1,000 people with three
    earlier rounds well under a second.
    """
    degree = sum(len(met) for met in neighbours) / max(1, n)
    return int(min(40 * n + 5_000, 1_500_000 / (degree + 2 * _SAMPLES)))


def _greedy_order(neighbours: list[dict[int, int]], rng: random.Random) -> list[int]:
    """Most constrained first: those who met the most people; ties at random."""
    order = list(range(len(neighbours)))
    rng.shuffle(order)
    order.sort(key=lambda p: -len(neighbours[p]))  # stable: keeps the shuffle
    return order


def _balance_floor(codes: list[int], k: int) -> int:
    """Least Σ count² if every value could be spread evenly on its own."""
    counts: dict[int, int] = {}
    for code in codes:
        if code >= 0:
            counts[code] = counts.get(code, 0) + 1
    return sum(_even_split_squares(total, k) for total in counts.values())


class _State:
    """Counts kept up to date so that a swap is evaluated in constant time."""

    def __init__(
        self,
        types: list[int],
        territories: list[int],
        neighbours: list[dict[int, int]],
        k: int,
        weights: tuple[int, int, int],
    ) -> None:
        self.n = n = len(types)
        self.k = k
        self.types = types
        self.territories = territories
        self.neighbours = neighbours
        self.w_repeat, self.w_type, self.w_territory = weights
        self.group = [-1] * n
        self.members: list[list[int]] = [[] for _ in range(k)]
        self.slot = [0] * n  # index of p in members[group[p]], for O(1) swaps
        # met_in[p][g]: rounds p already shared with the people now in group g.
        self.met_in = [[0] * k for _ in range(n)]
        self.type_count = [[0] * (max(types, default=-1) + 1) for _ in range(k)]
        self.territory_count = [[0] * (max(territories, default=-1) + 1) for _ in range(k)]
        # People sitting with someone they met before, as an indexed set so
        # that the search can pick one at random in constant time.
        self.conflicted: list[int] = []
        self.conflict_slot = [-1] * n
        self.repeats = 0  # sum over co-grouped pairs of rounds shared before
        self.cost = 0
        self.best: list[int] = []
        self.best_cost = 0

    # -- construction -------------------------------------------------------

    def build(self, order: list[int], rng: random.Random) -> None:
        k = self.k
        cap, extra = divmod(self.n, k)  # `extra` groups may hold cap + 1
        full_big = 0
        for p in order:
            x, y = self.types[p], self.territories[p]
            met = self.met_in[p]
            start = rng.randrange(k)  # random tie-break among equal groups
            best_g, best_key = -1, (0, 0)
            for i in range(k):
                g = (start + i) % k
                size = len(self.members[g])
                if size > cap or (size == cap and full_big >= extra):
                    continue
                cost = self.w_repeat * met[g]
                if x >= 0:
                    cost += self.w_type * self.type_count[g][x]
                if y >= 0:
                    cost += self.w_territory * self.territory_count[g][y]
                key = (cost, size)  # then the emptier group, to keep room
                if best_g < 0 or key < best_key:
                    best_g, best_key = g, key
            self._place(p, best_g)
            if len(self.members[best_g]) == cap + 1:
                full_big += 1
        for p in range(self.n):
            self._mark(p)
        self.best = self.group[:]
        self.best_cost = self.cost

    def _place(self, p: int, g: int) -> None:
        self.group[p] = g
        self.slot[p] = len(self.members[g])
        self.members[g].append(p)
        met = self.met_in[p][g]
        self.repeats += met
        self.cost += self.w_repeat * met
        x, y = self.types[p], self.territories[p]
        if x >= 0:
            self.cost += self.w_type * (2 * self.type_count[g][x] + 1)
            self.type_count[g][x] += 1
        if y >= 0:
            self.cost += self.w_territory * (2 * self.territory_count[g][y] + 1)
            self.territory_count[g][y] += 1
        met_in = self.met_in
        for q, w in self.neighbours[p].items():
            met_in[q][g] += w

    def _mark(self, p: int) -> None:
        """Keep p's membership of the conflicted set in line with met_in."""
        slot = self.conflict_slot[p]
        if self.met_in[p][self.group[p]]:
            if slot < 0:
                self.conflict_slot[p] = len(self.conflicted)
                self.conflicted.append(p)
        elif slot >= 0:
            last = self.conflicted.pop()
            if last != p:
                self.conflicted[slot] = last
                self.conflict_slot[last] = slot
            self.conflict_slot[p] = -1

    # -- local search -------------------------------------------------------

    def delta(self, p: int, q: int, a: int, b: int) -> tuple[int, int]:
        """(cost change, repeats change) if p (in a) and q (in b) traded places."""
        w = self.neighbours[p].get(q, 0)
        met_p, met_q = self.met_in[p], self.met_in[q]
        repeats = met_p[b] + met_q[a] - met_p[a] - met_q[b] - 2 * w
        types = _square_delta(self.type_count, a, b, self.types[p], self.types[q])
        places = _square_delta(self.territory_count, a, b, self.territories[p], self.territories[q])
        d = self.w_repeat * repeats + self.w_type * types + self.w_territory * places
        return d, repeats

    def swap(self, p: int, q: int, a: int, b: int, d: int, repeats: int) -> None:
        met_in, neighbours = self.met_in, self.neighbours
        for u, w in neighbours[p].items():
            met = met_in[u]
            met[a] -= w
            met[b] += w
        for u, w in neighbours[q].items():
            met = met_in[u]
            met[b] -= w
            met[a] += w
        pairs = ((self.type_count, self.types), (self.territory_count, self.territories))
        for count, values in pairs:
            x, y = values[p], values[q]
            if x != y:
                if x >= 0:
                    count[a][x] -= 1
                    count[b][x] += 1
                if y >= 0:
                    count[b][y] -= 1
                    count[a][y] += 1
        group, slot, members = self.group, self.slot, self.members
        group[p], group[q] = b, a
        members[a][slot[p]], members[b][slot[q]] = q, p
        slot[p], slot[q] = slot[q], slot[p]
        self.cost += d
        self.repeats += repeats
        # Only people now in a or b can have changed conflict status.
        for u in (*neighbours[p], *neighbours[q], p, q):
            g = group[u]
            if g in (a, b):
                self._mark(u)

    def _partners(
        self, pool: list[int], p: int, a: int, b: int, rng: random.Random, *, focused: bool
    ) -> list[int]:
        """Whom in group b to try trading places with p (in group a).

        Small groups: everyone. Otherwise a sample, except when p is being
        moved away from acquaintances: then those of b whose own side of the
        repeat change is least, found by a cheap scan before the full delta.
        """
        size = len(pool)
        if size <= _SAMPLES:
            start = rng.randrange(size)
            return pool[start:] + pool[:start]
        if not focused:
            return [pool[rng.randrange(size)] for _ in range(_SAMPLES)]
        met_in, near = self.met_in, self.neighbours[p]
        scores = [met_in[q][a] - met_in[q][b] - 2 * near.get(q, 0) for q in pool]
        low = min(scores)
        best = [q for q, score in zip(pool, scores, strict=True) if score == low]
        if len(best) > _SAMPLES:
            start = rng.randrange(len(best))
            best = (best[start:] + best[:start])[:_SAMPLES]
        return best

    def _balance_target(self, p: int, a: int, rng: random.Random) -> int:
        """A group other than a that lacks p's actor type (or territory) the most."""
        k = self.k
        if rng.random() < 0.5:
            value, count = self.types[p], self.type_count
        else:
            value, count = self.territories[p], self.territory_count
        if value < 0 or rng.random() < 0.2:  # some plain random steps too
            b = rng.randrange(k - 1)
            return b + (b >= a)
        low = min(count[g][value] for g in range(k) if g != a)
        targets = [g for g in range(k) if g != a and count[g][value] == low]
        return targets[rng.randrange(len(targets))]

    def improve(self, rng: random.Random, floor: int, repeat_floor: int, budget: int) -> None:
        """Hill climbing with sideways moves; keeps the best grouping seen.

        The budget is counted in iterations, never in seconds, so that the
        result only depends on the input and the seed.
        """
        n, k = self.n, self.k
        if self.cost <= floor:
            return
        patience = max(2000, budget // 2)  # iterations without a new best
        group, members, met_in, conflicted = self.group, self.members, self.met_in, self.conflicted
        since_best = 0
        # Trading balance for repeats only makes sense when repeats come first.
        drift = self.w_repeat >= max(self.w_type, self.w_territory)
        for _ in range(budget):
            if since_best > patience:
                break
            since_best += 1
            # Once repeats reach their floor, only balance can still improve.
            focused = bool(conflicted) and self.repeats > repeat_floor and rng.random() < 0.8
            if focused:
                # Min-conflicts: someone who sits with an acquaintance, moved
                # towards a group where they know the fewest people.
                p = conflicted[rng.randrange(len(conflicted))]
                a = group[p]
                met = met_in[p]
                low = min(met[g] for g in range(k) if g != a)
                targets = [g for g in range(k) if g != a and met[g] == low]
                b = targets[rng.randrange(len(targets))]
            else:
                p = rng.randrange(n)
                a = group[p]
                b = self._balance_target(p, a, rng)
            candidates = self._partners(members[b], p, a, b, rng, focused=focused)
            best_q, best_d, best_r = -1, 0, 0
            for q in candidates:
                d, r = self.delta(p, q, a, b)
                if best_q < 0 or d < best_d:
                    best_q, best_d, best_r = q, d, r
            # Sideways steps (delta 0) let the search wander across plateaus.
            # And while repeats can still fall, a step that keeps them level
            # but costs balance sometimes passes too: balance would otherwise
            # freeze the min-conflicts search on repeat plateaus.
            if best_d > 0 and not (drift and focused and best_r == 0 and rng.random() < _DRIFT):
                continue
            self.swap(p, best_q, a, b, best_d, best_r)
            if self.cost < self.best_cost:
                self.best_cost = self.cost
                self.best = group[:]
                since_best = 0
                if self.cost <= floor:
                    break


def _square_delta(count: list[list[int]], a: int, b: int, x: int, y: int) -> int:
    """Change of Σ count² when value x moves from group a to b and y from b to a."""
    if x == y:
        return 0
    d = 0
    if x >= 0:
        d += 2 * (count[b][x] - count[a][x]) + 2
    if y >= 0:
        d += 2 * (count[a][y] - count[b][y]) + 2
    return d


# --------------------------------------------------------------------------- #
# Peer groups
# --------------------------------------------------------------------------- #


def _peer(
    types: list[int],
    territories: list[int],
    neighbours: list[dict[int, int]],
    rounds: list[list[list[int]]],
    k: int,
    rng: random.Random,
    budget: int,
) -> tuple[list[list[int]], list[list[int]]]:
    """Return (members of each group, the people of the unit each group came from)."""
    by_type: dict[int, list[int]] = {}
    untyped = []
    for person, code in enumerate(types):
        if code < 0:
            untyped.append(person)
        else:
            by_type.setdefault(code, []).append(person)
    units = _merge_smallest(list(by_type.values()), k)
    shares = _share_groups(units, k)

    members: list[list[int]] = []
    origin: list[list[int]] = []
    for unit, share in zip(units, shares, strict=True):
        # The search budget is shared out in proportion to the unit's size.
        unit_budget = budget * len(unit) // len(types)
        for group in _split_unit(unit, share, territories, neighbours, rounds, rng, unit_budget):
            members.append(group)
            origin.append(unit)
    while len(members) < k:  # more groups than typed people: groups of the untyped
        members.append([])
        origin.append([])
    _seat_untyped(untyped, members, neighbours, rng)
    return members, origin


def _merge_smallest(units: list[list[int]], k: int) -> list[list[int]]:
    """Merge the two least numerous sets of types until at most k remain.

    Units keep their first-appearance order; a merged unit takes the place of
    its earlier part. Ties in size go to the unit seen first.
    """
    units = [list(unit) for unit in units]
    while len(units) > k:
        order = sorted(range(len(units)), key=lambda i: (len(units[i]), i))
        first, second = sorted(order[:2])
        units[first] = units[first] + units[second]
        del units[second]
    return units


def _share_groups(units: list[list[int]], k: int) -> list[int]:
    """How many groups each unit gets: one each, then the rest proportionally.

    Each extra group goes to the unit whose groups are currently the largest
    on average (size / groups), which keeps the largest group as small as
    possible; a unit never gets more groups than people.
    """
    shares = [1] * len(units)
    for _ in range(k - len(units)):
        open_units = [i for i, unit in enumerate(units) if shares[i] < len(unit)]
        if not open_units:
            break  # the remaining groups are for people without a type
        chosen = max(
            open_units, key=lambda i: (Fraction(len(units[i]), shares[i]), len(units[i]), -i)
        )
        shares[chosen] += 1
    return shares


def _split_unit(
    unit: list[int],
    share: int,
    territories: list[int],
    neighbours: list[dict[int, int]],
    rounds: list[list[list[int]]],
    rng: random.Random,
    budget: int,
) -> list[list[int]]:
    """Split one unit into `share` balanced groups, territories dealt round-robin."""
    if share == 1:
        return [list(unit)]
    local = {person: i for i, person in enumerate(unit)}
    local_neighbours = [{local[q]: w for q, w in neighbours[p].items() if q in local} for p in unit]
    local_rounds = [
        [[local[p] for p in group if p in local] for group in past_round] for past_round in rounds
    ]
    assignment = _mix(
        [-1] * len(unit),  # a single type here: nothing to spread
        [territories[p] for p in unit],
        local_neighbours,
        share,
        rng,
        # Territories first (round-robin), then avoiding repeated pairs: the
        # sum of past meetings never exceeds rounds × n², hence the weight.
        weights=(1, 0, len(rounds) * len(unit) ** 2 + 1),
        repeat_floor=sum(_round_bounds(local_rounds, share)),
        budget=budget,
    )
    return [[unit[i] for i in group] for group in _members(assignment, share)]


def _seat_untyped(
    untyped: list[int],
    members: list[list[int]],
    neighbours: list[dict[int, int]],
    rng: random.Random,
) -> None:
    """Each person without a type joins a smallest group, avoiding people met before."""
    where = [-1] * len(neighbours)
    for g, group in enumerate(members):
        for p in group:
            where[p] = g
    order = list(untyped)
    rng.shuffle(order)
    for p in order:
        met = [0] * len(members)
        for q, w in neighbours[p].items():
            if where[q] >= 0:
                met[where[q]] += w
        g = min(range(len(members)), key=lambda g: (len(members[g]), met[g], g))
        members[g].append(p)
        where[p] = g


def _unit_labels(unit: list[int], people: list[Person]) -> list:
    return list(dict.fromkeys(people[i].actor_type for i in unit))


# --------------------------------------------------------------------------- #
# Report
# --------------------------------------------------------------------------- #


def _report(
    members: list[list[int]],
    types: list[int],
    territories: list[int],
    neighbours: list[dict[int, int]],
    rounds: list[list[list[int]]],
    mode: str,
) -> dict:
    """Plain, JSON-serialisable figures about the grouping and what was possible.

    `members` may leave people out (they still count for what was possible).
    """
    group_count = len(members)
    group_of = [-1] * len(types)
    for g, group in enumerate(members):
        for p in group:
            group_of[p] = g
    best = _peer_best if mode == "peer" else _mixing_best
    best_types, best_territories = best(members, types, territories)
    repeated_pairs = 0
    most_met = 0
    groups = []
    for g, group in enumerate(members):
        pairs = 0
        for p in group:
            for q, w in neighbours[p].items():
                if q > p and group_of[q] == g:
                    pairs += 1
                    most_met = max(most_met, w)
        repeated_pairs += pairs
        size = len(group)
        groups.append(
            {
                "size": size,
                "actor_types": len(_distinct(types[p] for p in group)),
                "territories": len(_distinct(territories[p] for p in group)),
                "best_actor_types": min(size, best_types[g]),
                "best_territories": min(size, best_territories[g]),
                "repeated_pairs": pairs,
            }
        )
    together = any(len(group) > 1 for group in members)
    return {
        "mode": mode,
        "group_count": group_count,
        "sizes": [len(group) for group in members],
        "repeated_pairs": repeated_pairs,
        # Times the most frequent pair has now met, this round included.
        "max_pair_repeats": most_met + 1 if together else 0,
        # Pigeonhole bound, see _round_bounds: no grouping into this many
        # groups can do better, whatever the mode.
        "min_possible_repeated_pairs": max(_round_bounds(rounds, group_count), default=0),
        "groups": groups,
    }


def _mixing_best(
    members: list[list[int]], types: list[int], territories: list[int]
) -> tuple[list[int], list[int]]:
    """Upper bounds for mixing: every distinct value present (capped by size later)."""
    k = len(members)
    return [len(_distinct(types))] * k, [len(_distinct(territories))] * k


def _peer_best(
    members: list[list[int]], types: list[int], territories: list[int]
) -> tuple[list[int], list[int]]:
    """The rule's target for each group, judged by its most numerous type.

    Actor types: 1, or the number of types sharing that type's group when the
    rule merges it; 0 for a group without any typed member. Territories: those
    found among the people of that unit and the people without a type, the
    only ones who can sit in such a group.
    """
    by_type: dict[int, list[int]] = {}
    for person, code in enumerate(types):
        if code >= 0:
            by_type.setdefault(code, []).append(person)
    unit_of: dict[int, list[int]] = {}
    for unit in _merge_smallest(list(by_type.values()), len(members)):
        for code in _distinct(types[p] for p in unit):
            unit_of[code] = unit
    untyped = [territories[p] for p, code in enumerate(types) if code < 0]
    best_types, best_territories = [], []
    for group in members:
        present = Counter(types[p] for p in group if types[p] >= 0)
        if not present:
            best_types.append(0)
            best_territories.append(len(_distinct(untyped)))
            continue
        main = present.most_common(1)[0][0]  # ties: the first seen in the group
        unit = unit_of[main]
        best_types.append(len(_distinct(types[p] for p in unit)))
        best_territories.append(len(_distinct([territories[p] for p in unit] + untyped)))
    return best_types, best_territories
