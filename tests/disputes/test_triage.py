"""The triage classifier and its labelled examples."""

from collections import Counter

import pytest

from xiangzhi.disputes import triage


def test_the_labelled_set_has_at_least_40_examples_for_each_of_the_15_types():
    counts = Counter(e["type"] for e in triage.load_examples())
    assert len(counts) == 15 and min(counts.values()) >= 40


@pytest.mark.django_db
def test_the_types_match_the_seeded_dispute_types():
    from xiangzhi.disputes.models import DisputeType

    assert {e["type"] for e in triage.load_examples()} == set(DisputeType.objects.values_list("code", flat=True))


def test_the_fixed_split_holds_out_whole_facts():
    train, test = triage.split(triage.load_examples())
    assert len(test) == 150 and not {(e["type"], e["group"]) for e in train} & {(e["type"], e["group"]) for e in test}


def test_held_out_accuracy_is_well_above_the_majority_floor():
    result = triage.evaluate()
    assert result["accuracy"] >= 0.7 > result["majority_baseline"] * 10


@pytest.mark.parametrize(("text", "code"), [
    ("老板拖欠了我三个月的工资不给", "labour"),
    ("征地补偿款分配不公平", "expropriation"),
    ("物业公司乱收停车费", "property"),
])
def test_obvious_descriptions(text, code):
    assert triage.suggest(text)[0] == code
    assert triage.suggest("  ") == (None, 0.0)
