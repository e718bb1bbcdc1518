"""The group-forming algorithm (atelier.grouping): plain data, no database.

Property tests cover what must hold for any input; explicit cases pin the
promises made to animators: nobody meets the same people twice when that is
possible, actor types and territories are spread evenly, peer groups are
single-typed by the documented rule.
"""

import json
import os
import random
import subprocess
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import atelier.grouping as grouping_module
from atelier.grouping import PEER_RULE, Grouping, GroupingError, Person, evaluate, form_groups

# The suite's autouse fixtures (settings, language) are function-scoped but
# irrelevant to these pure functions; running them once per test is fine.
PROPERTY = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #


def pairs_of(groups):
    return {frozenset(pair) for group in groups for pair in combinations(group, 2)}


def repeated_pairs(groups, history):
    before = set().union(*(pairs_of(past) for past in history)) if history else set()
    return len(pairs_of(groups) & before)


def by_id(people):
    return {person.id: person for person in people}


def crowd(n, *, types=(), territories=(), seed=0):
    """n people with types and territories drawn at random (reproducibly)."""
    rng = random.Random(seed)
    return [
        Person(
            i,
            rng.choice(types) if types else None,
            rng.choice(territories) if territories else None,
        )
        for i in range(n)
    ]


def random_round(ids, group_count, seed):
    ids = list(ids)
    random.Random(seed).shuffle(ids)
    return [ids[g::group_count] for g in range(group_count)]


def assert_partition(grouping: Grouping, people, group_count):
    assert len(grouping.groups) == group_count
    placed = [pid for group in grouping.groups for pid in group]
    assert sorted(map(repr, placed)) == sorted(repr(p.id) for p in people)
    assert all(grouping.groups), "no empty group"
    assert grouping.report["sizes"] == [len(group) for group in grouping.groups]


def assert_report_is_sound(grouping: Grouping, people, history):
    report = grouping.report
    json.dumps(report)  # the page stores and renders it as JSON
    known = by_id(people)
    known_history = [[[pid for pid in g if pid in known] for g in past] for past in history]
    assert report["repeated_pairs"] == repeated_pairs(grouping.groups, known_history)
    assert report["repeated_pairs"] >= report["min_possible_repeated_pairs"] >= 0
    assert report["group_count"] == len(grouping.groups)
    for group, figures in zip(grouping.groups, report["groups"], strict=True):
        members = [known[pid] for pid in group]
        types = {p.actor_type for p in members} - {None}
        territories = {p.territory for p in members} - {None}
        assert figures["size"] == len(group)
        assert figures["actor_types"] == len(types)
        assert figures["territories"] == len(territories)
        assert figures["territories"] <= figures["best_territories"] <= figures["size"]


# --------------------------------------------------------------------------- #
# Properties
# --------------------------------------------------------------------------- #


@st.composite
def requests(draw):
    """People (1–300, 1–8 actor types, 1–15 territories), a feasible group
    count, 0–3 earlier rounds made by shuffling (with strangers in them) and a seed."""
    n = draw(st.one_of(st.integers(1, 40), st.integers(41, 300)))
    type_count = draw(st.integers(1, 8))
    territory_count = draw(st.integers(1, 15))
    missing = draw(st.sampled_from([0.0, 0.0, 0.1, 0.5]))  # share of unknown values
    str_ids = draw(st.booleans())
    labels = draw(st.sampled_from([[f"type {j}" for j in range(type_count)], range(type_count)]))
    rng = random.Random(draw(st.integers(0, 2**32)))

    def maybe(value):
        return None if rng.random() < missing else value

    people = [
        Person(
            f"p{i}" if str_ids else i,
            maybe(rng.choice(labels)),
            maybe(f"territoire {rng.randrange(territory_count)}"),
        )
        for i in range(n)
    ]
    # Any feasible count, or (as in workshops) one giving groups of 2 to 40.
    group_count = draw(
        st.one_of(st.integers(1, n), st.integers(2, 40).map(lambda size: max(1, n // size)))
    )
    ids = [p.id for p in people]
    history = []
    for _ in range(draw(st.integers(0, 3))):
        strangers = [f"absent {rng.random()}" for _ in range(rng.randrange(3))]
        history.append(random_round(ids + strangers, rng.randint(1, n), rng.random()))
    seed = draw(st.integers(0, 10**6))
    return people, group_count, history, seed


@PROPERTY
@given(requests())
def test_random_mode_partitions_evenly_and_deterministically(request_):
    people, group_count, history, seed = request_
    first = form_groups(people, group_count=group_count, mode="random", history=history, seed=seed)
    again = form_groups(people, group_count=group_count, mode="random", history=history, seed=seed)
    assert first == again
    assert_partition(first, people, group_count)
    assert max(first.report["sizes"]) - min(first.report["sizes"]) <= 1
    assert_report_is_sound(first, people, history)
    assert evaluate(first.groups, people, history, "random") == first.report
    assert first.peer_labels == []


@PROPERTY
@given(requests())
def test_peer_mode_partitions_and_keeps_types_apart(request_):
    people, group_count, history, seed = request_
    if all(p.actor_type is None for p in people):
        with pytest.raises(GroupingError):
            form_groups(people, group_count=group_count, mode="peer", history=history)
        return
    grouping = form_groups(people, group_count=group_count, mode="peer", history=history, seed=seed)
    assert_partition(grouping, people, group_count)
    assert_report_is_sound(grouping, people, history)
    assert evaluate(grouping.groups, people, history, "peer") == grouping.report
    known = by_id(people)
    type_sizes = Counter(p.actor_type for p in people if p.actor_type is not None)
    per_group = [{known[pid].actor_type for pid in group} - {None} for group in grouping.groups]
    # Each type beyond the group count costs exactly one extra type in some
    # group: when there are no more types than groups (the precondition),
    # every group is single-typed (or holds only people without a type).
    assert sum(max(0, len(types) - 1) for types in per_group) == max(
        0, len(type_sizes) - group_count
    )
    if len(type_sizes) <= group_count:
        assert all(len(types) <= 1 for types in per_group)
    else:
        # Only the least numerous types share a group.
        shared = [t for types in per_group if len(types) > 1 for t in types]
        alone = [t for types in per_group if len(types) == 1 for t in types]
        if alone:
            assert max(type_sizes[t] for t in shared) <= min(type_sizes[t] for t in alone)
    # The label names exactly the types of the group; people without a type
    # join groups without changing them.
    assert [set(label) for label in grouping.peer_labels] == per_group


@PROPERTY
@given(
    st.integers(1, 120),
    st.integers(1, 6),
    st.integers(1, 15),
    st.integers(0, 10**6),
)
def test_a_split_type_gets_balanced_groups(n, type_count, group_count, seed):
    people = crowd(n, types=[f"t{i}" for i in range(type_count)], territories="abc", seed=seed)
    group_count = min(group_count, n)
    grouping = form_groups(people, group_count=group_count, mode="peer", seed=seed)
    sizes_by_label = {}
    for label, group in zip(grouping.peer_labels, grouping.groups, strict=True):
        sizes_by_label.setdefault(tuple(label), []).append(len(group))
    for sizes in sizes_by_label.values():
        assert max(sizes) - min(sizes) <= 1


# --------------------------------------------------------------------------- #
# Degenerate inputs
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("mode", ["random", "peer"])
def test_one_person_one_group(mode):
    grouping = form_groups([Person("solo", "élu·e", "Gard")], group_count=1, mode=mode)
    assert grouping.groups == [["solo"]]
    assert grouping.report["max_pair_repeats"] == 0


@pytest.mark.parametrize("mode", ["random", "peer"])
def test_everyone_alike(mode):
    people = [Person(i, "association", "Nord") for i in range(23)]
    grouping = form_groups(people, group_count=4, mode=mode, seed=3)
    assert_partition(grouping, people, 4)
    assert sorted(grouping.report["sizes"]) == [5, 6, 6, 6]


def test_random_mode_without_any_actor_type_or_territory():
    people = crowd(40)
    grouping = form_groups(people, group_count=6, mode="random")
    assert_partition(grouping, people, 6)
    assert all(g["actor_types"] == 0 and g["territories"] == 0 for g in grouping.report["groups"])


@pytest.mark.parametrize("mode", ["random", "peer"])
def test_history_with_strangers_and_duplicates(mode):
    people = crowd(20, types="AB", territories="xyz")
    history = [[[0, 1, "ghost", 2, 2], [3, 4, 99], [0, 5]], [], [["nobody", "else"]]]
    grouping = form_groups(people, group_count=5, mode=mode, history=history)
    assert_partition(grouping, people, 5)
    assert_report_is_sound(grouping, people, history)


@pytest.mark.parametrize("mode", ["random", "peer"])
def test_as_many_groups_as_people(mode):
    people = crowd(9, types="ABC", territories="xy")
    grouping = form_groups(people, group_count=9, mode=mode, history=[random_round(range(9), 3, 1)])
    assert sorted(grouping.report["sizes"]) == [1] * 9
    assert grouping.report["repeated_pairs"] == 0
    assert grouping.report["max_pair_repeats"] == 0


def test_peer_mode_with_more_groups_than_typed_people():
    people = [Person(1, "élu·e", "x"), Person(2, "élu·e", "y")]
    people += [Person(f"sans type {i}", None, "x") for i in range(3)]
    grouping = form_groups(people, group_count=4, mode="peer")
    assert_partition(grouping, people, 4)
    assert grouping.peer_labels[:2] == [["élu·e"], ["élu·e"]]


def test_mixed_id_and_label_kinds():
    people = [Person(i if i % 2 else f"id-{i}", i % 3 or "trois", i % 4 or None) for i in range(30)]
    for mode in ("random", "peer"):
        assert_partition(form_groups(people, group_count=4, mode=mode), people, 4)


# --------------------------------------------------------------------------- #
# Impossible requests: a French message for the animator
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("people", "kwargs", "message"),
    [
        (crowd(10), {"group_count": 0, "mode": "random"}, "Il faut au moins un groupe."),
        (crowd(10), {"group_count": -2, "mode": "peer"}, "Il faut au moins un groupe."),
        (
            crowd(10),
            {"group_count": 12, "mode": "random"},
            "Impossible de former 12 groupes avec 10 participant·es.",
        ),
        (
            crowd(1),
            {"group_count": 2, "mode": "random"},
            "Impossible de former 2 groupes avec 1 participant·e.",
        ),
        ([], {"group_count": 1, "mode": "random"}, "Aucun·e participant·e à répartir."),
        (
            crowd(10, territories="xy"),
            {"group_count": 2, "mode": "peer"},
            "Le mode par groupes de pairs demande des types d'acteur.",
        ),
        (crowd(10), {"group_count": 2, "mode": "au hasard"}, "Mode de répartition inconnu"),
        (crowd(3) + crowd(1), {"group_count": 2, "mode": "random"}, "figure deux fois"),
    ],
)
def test_impossible_requests_are_refused_in_french(people, kwargs, message):
    with pytest.raises(GroupingError, match=message) as refusal:
        form_groups(people, **kwargs)
    assert isinstance(refusal.value, ValueError)


# --------------------------------------------------------------------------- #
# Zero repeated pairs whenever possible
# --------------------------------------------------------------------------- #

TYPES = ("élu·e", "agent·e", "association", "habitant·e", "entreprise", "délégué·e")
TERRITORIES = tuple(f"territoire {i}" for i in range(12))


def blocks(n, size):
    return [list(range(start, start + size)) for start in range(0, n, size)]


@pytest.mark.parametrize("seed", range(4))
def test_64_people_8_groups_after_one_round_of_8(seed):
    people = crowd(64, types=TYPES, territories=TERRITORIES, seed=seed)
    history = [blocks(64, 8)]
    grouping = form_groups(people, group_count=8, mode="random", history=history, seed=seed)
    assert grouping.report["repeated_pairs"] == 0 == repeated_pairs(grouping.groups, history)
    assert grouping.report["max_pair_repeats"] == 1
    # Zero repeats here means one person from each former group per new group.
    for group in grouping.groups:
        assert sorted(pid // 8 for pid in group) == list(range(8))


@pytest.mark.parametrize("seed", range(4))
def test_100_people_10_groups_after_one_round_of_10(seed):
    people = crowd(100, types=TYPES, territories=TERRITORIES, seed=seed)
    history = [random_round(range(100), 10, seed)]
    grouping = form_groups(people, group_count=10, mode="random", history=history, seed=seed)
    assert grouping.report["repeated_pairs"] == 0 == repeated_pairs(grouping.groups, history)


@pytest.mark.parametrize("seed", range(4))
def test_96_people_8_groups_after_a_random_round_of_groups_of_8(seed):
    people = crowd(96, types=TYPES, territories=TERRITORIES, seed=seed)
    history = [random_round(range(96), 12, seed)]  # 12 groups of 8
    grouping = form_groups(people, group_count=8, mode="random", history=history, seed=seed)
    assert grouping.report["repeated_pairs"] == 0 == repeated_pairs(grouping.groups, history)


@pytest.mark.parametrize("seed", range(4))
def test_96_people_8_groups_after_8_groups_reach_the_pigeonhole_bound(seed):
    # 8 former groups of 12 cannot avoid repeats in 8 new groups: each former
    # group leaves at least 4 pairs together (12 into 8: four 2s, four 1s).
    people = crowd(96, types=TYPES, territories=TERRITORIES, seed=seed)
    history = [random_round(range(96), 8, seed)]
    grouping = form_groups(people, group_count=8, mode="random", history=history, seed=seed)
    assert grouping.report["min_possible_repeated_pairs"] == 32
    assert grouping.report["repeated_pairs"] == 32
    assert grouping.report["max_pair_repeats"] == 2


@pytest.mark.parametrize("seed", range(6))
def test_third_round_meets_nobody_again_after_rows_and_columns(seed):
    # Rounds by i // 8 then by i % 8: a third round without any repeat exists,
    # e.g. by (i // 8 + i % 8) % 8; the search must find one like it.
    people = crowd(64, types=TYPES, territories=TERRITORIES, seed=seed)
    history = [
        [[i for i in range(64) if i // 8 == g] for g in range(8)],
        [[i for i in range(64) if i % 8 == g] for g in range(8)],
    ]
    grouping = form_groups(people, group_count=8, mode="random", history=history, seed=seed)
    assert grouping.report["repeated_pairs"] == 0 == repeated_pairs(grouping.groups, history)
    assert grouping.report["max_pair_repeats"] == 1


def test_unavoidable_repeats_are_kept_few():
    # 1 group only: everybody meets everybody again.
    people = crowd(10)
    history = [blocks(10, 5)]
    grouping = form_groups(people, group_count=1, mode="random", history=history)
    assert grouping.report["repeated_pairs"] == 20 == grouping.report["min_possible_repeated_pairs"]
    assert grouping.report["max_pair_repeats"] == 2


# --------------------------------------------------------------------------- #
# Spread of actor types and territories
# --------------------------------------------------------------------------- #


def spread_population():
    """64 people: 16 délégué·es, 24 + 24 of two other types; 8 territories of 8.

    Built so that perfect spread is possible for both at once: person i has
    territory i // 8 and type by i % 4 (0 → délégué·e).
    """
    kinds = {0: "délégué·e", 1: "élu·e", 2: "association", 3: "élu·e"}
    return [Person(i, kinds[i % 4], f"territoire {i // 8}") for i in range(64)]


@pytest.mark.parametrize("seed", range(5))
def test_types_and_territories_are_spread_evenly(seed):
    people = spread_population()
    shuffled = people[:]
    random.Random(seed).shuffle(shuffled)  # input order must not matter
    grouping = form_groups(shuffled, group_count=8, mode="random", seed=seed)
    known = by_id(people)
    for group in grouping.groups:
        types = Counter(known[pid].actor_type for pid in group)
        territories = Counter(known[pid].territory for pid in group)
        assert types == {"délégué·e": 2, "élu·e": 4, "association": 2}
        assert set(territories.values()) == {1}
    for figures in grouping.report["groups"]:
        assert figures["actor_types"] == figures["best_actor_types"] == 3
        assert figures["territories"] == figures["best_territories"] == 8


@pytest.mark.parametrize("seed", range(4))
def test_no_repeats_and_delegates_spread_together(seed):
    # 16 délégué·es among 64, one earlier round of 8 × 8 that bunched them in
    # two groups: zero repeats and exactly 2 délégué·es a group are both reachable.
    people = [
        Person(i, "délégué·e" if i < 16 else TYPES[i % 4], TERRITORIES[(i * 7 + seed) % 12])
        for i in range(64)
    ]
    history = [blocks(64, 8)]
    grouping = form_groups(people, group_count=8, mode="random", history=history, seed=seed)
    assert grouping.report["repeated_pairs"] == 0
    known = by_id(people)
    for group in grouping.groups:
        assert sum(known[pid].actor_type == "délégué·e" for pid in group) == 2


def test_16_delegates_among_48_others_make_2_per_group():
    rng = random.Random(5)
    people = [Person(i, "délégué·e", rng.choice(TERRITORIES)) for i in range(16)] + [
        Person(i, rng.choice(TYPES[:4]), rng.choice(TERRITORIES)) for i in range(16, 64)
    ]
    rng.shuffle(people)
    grouping = form_groups(people, group_count=8, mode="random", seed=11)
    known = by_id(people)
    for group in grouping.groups:
        assert sum(known[pid].actor_type == "délégué·e" for pid in group) == 2


# --------------------------------------------------------------------------- #
# Peer groups
# --------------------------------------------------------------------------- #


def typed(counts, territories=TERRITORIES):
    people, next_id = [], 0
    for label, count in counts.items():
        for j in range(count):
            people.append(Person(next_id, label, territories[j % len(territories)]))
            next_id += 1
    return people


def test_peer_96_people_7_types_8_groups():
    counts = dict(zip("ABCDEFG", (12, 20, 12, 16, 14, 15, 7), strict=True))
    people = typed(counts)
    grouping = form_groups(people, group_count=8, mode="peer", seed=2)
    known = by_id(people)
    layout = sorted((known[group[0]].actor_type, len(group)) for group in grouping.groups)
    assert layout == [
        ("A", 12), ("B", 10), ("B", 10), ("C", 12), ("D", 16), ("E", 14), ("F", 15), ("G", 7),
    ]  # fmt: skip
    for group, label in zip(grouping.groups, grouping.peer_labels, strict=True):
        assert {known[pid].actor_type for pid in group} == set(label)
        assert len(label) == 1
    assert all(g["actor_types"] == g["best_actor_types"] == 1 for g in grouping.report["groups"])
    # The 20 Bs come from 12 territories: each half gets 10 different ones.
    labelled = list(zip(grouping.groups, grouping.peer_labels, strict=True))
    b_groups = [group for group, label in labelled if label == ["B"]]
    assert [len({known[pid].territory for pid in g}) for g in b_groups] == [10, 10]


def test_peer_more_types_than_groups_smallest_share():
    counts = dict(zip("ABCDEFGHIJ", (20, 18, 15, 14, 12, 11, 10, 9, 3, 2), strict=True))
    people = typed(counts)
    grouping = form_groups(people, group_count=8, mode="peer")
    labels = sorted(sorted(label) for label in grouping.peer_labels)
    # 10 types, 8 groups: J (2) joins I (3), then that pair (5) joins H (9).
    assert labels == [["A"], ["B"], ["C"], ["D"], ["E"], ["F"], ["G"], ["H", "I", "J"]]
    shared = grouping.report["groups"][grouping.peer_labels.index(["H", "I", "J"])]
    assert shared["actor_types"] == shared["best_actor_types"] == 3


def test_peer_people_without_type_join_the_smallest_groups():
    people = typed({"A": 10, "B": 6, "C": 8}) + [Person(f"x{i}", None, "Gard") for i in range(4)]
    grouping = form_groups(people, group_count=3, mode="peer")
    known = by_id(people)
    labelled = zip(grouping.peer_labels, grouping.groups, strict=True)
    sizes = {tuple(label): len(group) for label, group in labelled}
    assert sizes == {("A",): 10, ("B",): 9, ("C",): 9}
    for group in grouping.groups:
        assert len({known[pid].actor_type for pid in group} - {None}) == 1


def test_peer_split_avoids_repeats_after_the_territories():
    people = typed({"élu·e": 32}, territories=("Nord",))  # one territory: only repeats matter
    history = [blocks(32, 4)]
    grouping = form_groups(people, group_count=4, mode="peer", history=history)
    assert grouping.report["repeated_pairs"] == 0


def test_peer_rule_is_a_french_sentence_and_documented():
    assert PEER_RULE[0].isupper() and PEER_RULE.endswith(".")
    for words in ("type d'acteur", "proportionnel", "moins nombreux", "partagent un groupe"):
        assert words in PEER_RULE
    assert "PEER_RULE" in grouping_module.__doc__
    assert "least numerous" in grouping_module.__doc__


# --------------------------------------------------------------------------- #
# Evaluating groups as they stand
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("mode", ["random", "peer"])
def test_evaluate_gives_the_report_of_form_groups(mode):
    people = crowd(90, types=TYPES + ("rare",), territories=TERRITORIES, seed=8)
    people += [Person(f"sans type {i}", None, TERRITORIES[i]) for i in range(5)]
    history = [random_round([p.id for p in people], 9, 1), random_round(range(90), 6, 2)]
    grouping = form_groups(people, group_count=6, mode=mode, history=history, seed=4)
    assert evaluate(grouping.groups, people, history, mode) == grouping.report
    assert evaluate(grouping.groups, by_id(people), history, mode=mode) == grouping.report


def test_evaluate_after_moves_by_hand():
    people = crowd(12, types="AB", territories="xy")
    history = [[[0, 1, 2], [3, 4, 5]]]
    groups = [[0, 1, 6, "inconnu·e"], [], [2, 3, 4, 5, 7, 8, 9, 10, 11]]
    report = evaluate(groups, by_id(people), history, mode="manual")
    json.dumps(report)
    assert report["mode"] == "manual"
    assert report["sizes"] == [4, 0, 9]
    assert report["repeated_pairs"] == 1 + 3  # {0, 1}; {3, 4}, {3, 5}, {4, 5}
    assert report["max_pair_repeats"] == 2
    assert report["groups"][1] == {
        "size": 0,
        "actor_types": 0,
        "territories": 0,
        "best_actor_types": 0,
        "best_territories": 0,
        "repeated_pairs": 0,
    }


# --------------------------------------------------------------------------- #
# Determinism and independence from Django
# --------------------------------------------------------------------------- #


def test_same_seed_same_groups_different_seed_other_groups():
    people = crowd(120, types=TYPES, territories=TERRITORIES)
    history = [random_round(range(120), 10, 1)]
    one = form_groups(people, group_count=10, mode="random", history=history, seed=1)
    assert one == form_groups(people, group_count=10, mode="random", history=history, seed=1)
    other = form_groups(people, group_count=10, mode="random", history=history, seed=2)
    assert one.groups != other.groups


SCRIPT = """
import importlib.util, json, random, sys
# Load the file alone, outside the atelier package (whose __init__ starts Celery).
spec = importlib.util.spec_from_file_location("grouping", sys.argv[1])
grouping = importlib.util.module_from_spec(spec)
sys.modules["grouping"] = grouping
spec.loader.exec_module(grouping)
assert not any(name.split(".")[0] in {"django", "celery"} for name in sys.modules)
rng = random.Random(4)
people = [
    grouping.Person(f"p{i}", f"type {rng.randrange(5)}", f"t{rng.randrange(9)}")
    for i in range(90)
]
ids = [p.id for p in people]
history = [[ids[g::9] for g in range(9)]]
out = [
    grouping.form_groups(people, group_count=9, mode=m, history=history, seed=7).groups
    for m in ("random", "peer")
]
print(json.dumps(out))
"""


def test_hash_randomisation_changes_nothing_and_no_django_is_needed():
    source = Path(__file__).resolve().parent.parent / "atelier" / "grouping.py"
    outputs = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(source)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] != ""
