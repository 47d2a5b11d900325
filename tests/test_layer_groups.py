"""`layer_groups`: consecutive layers grouped into blocks or stages by the
numbers in their names, for heat maps past 60 layers."""

import re

import pytest
from layer_names import factory_names as _factory_names
from layer_names import indexed as _indexed
from layer_names import resnet50v2_names as _resnet50v2_names

from keras_initact.layer_groups import layer_groups




def test_resnet50v2_names_group_into_blocks():
    names = _resnet50v2_names()
    groups = layer_groups(names)
    blocks = [f"conv{s}_block{b}" for s, n in zip(range(2, 6), (3, 4, 6, 3))
              for b in range(1, n + 1)]
    assert [label for _, label in groups] == ["conv1_pad", *blocks,
                                              "post_bn"]
    assert layer_groups(names, max_groups=60) == groups
    starts = [row for row, _ in groups]
    assert starts[0] == 0 and starts == sorted(starts)
    for row, label in groups:
        assert names[row].startswith(label)  # each starts where it says


def test_resnet50v2_names_group_into_stages_when_blocks_are_too_many():
    groups = layer_groups(_resnet50v2_names(), max_groups=10)
    assert [label for _, label in groups] == [
        "conv1_pad", "conv2", "conv3", "conv4", "conv5", "post_bn"]


def test_indexed_labels_keep_their_index():
    labels = _indexed(_resnet50v2_names())
    groups = layer_groups(labels)
    assert groups[1] == (4, "4 conv2_block1")
    for row, label in groups:
        assert label.startswith(f"{row} ")


def test_100_factory_blocks_merge_into_at_most_40_groups():
    labels = _indexed(_factory_names(100))
    groups = layer_groups(labels)
    assert 2 <= len(groups) <= 40
    assert groups[0] == (0, "0 dense_0")
    for row, label in groups:
        assert re.fullmatch(r"\d+ dense_\d+", label)
        assert label == labels[row]  # a block's first layer
    # whole blocks of 3 layers each, evenly
    assert {b - a for (a, _), (b, _) in zip(groups, groups[1:])} == {9}


@pytest.mark.parametrize("blocks", [50, 100, 333])
def test_max_groups_60_is_honoured(blocks):
    groups = layer_groups(_indexed(_factory_names(blocks)), max_groups=60)
    assert 2 <= len(groups) <= 60
    if blocks == 50:  # 51 groups: a block each, and the head
        assert len(groups) == 51


def test_a_few_factory_blocks_each_make_a_group():
    groups = layer_groups(_factory_names(5))
    assert groups == [(0, "dense_0"), (3, "dense_1"), (6, "dense_2"),
                      (9, "dense_3"), (12, "dense_4"), (15, "head")]


def test_the_same_key_separated_by_another_makes_two_groups():
    names = ["enc_1_a", "enc_1_b", "mid_2", "dec_1_a", "dec_1_b"]
    assert [row for row, _ in layer_groups(names)] == [0, 2, 3]


def test_names_without_numbers_merge_single_layers():
    names = ["conv", "bn", "relu"] * 33 + ["head"]  # no digits at all
    groups = layer_groups(names)
    assert len(groups) <= 40
    assert [row for row, _ in groups] == list(range(0, 100, 3))


def test_no_names_no_groups():
    assert layer_groups([]) == []
    assert layer_groups(["only"]) == [(0, "only")]
