"""Grouping a model's layers into blocks or stages by their names.

A heat map of 200 layers cannot give each layer a readable row, so past 60
layers `keras_initact.heatmaps` draws a row per group from `layer_groups`:
ResNet50V2's `conv3_block2_...` layers make the block `conv3_block2`, a
factory model's `dense_7, act_7, scale_7` the block `dense_7`. Only the
numbers in the names are read, never a model family.
"""

import functools
import math
import re


_POSITION = re.compile(r"^(\d+\s+)(.*)$", re.DOTALL)
_NUMBER = re.compile(r"\d+")


def _runs(keys):
    """[(start, stop), ...]: the maximal runs of equal consecutive keys."""
    runs, start = [], 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            runs.append((start, i))
            start = i
    return runs


def _group_label(names, positions, start, stop):
    """The longest common `_`-token prefix of the group's names if it has a
    digit (`conv2_block1`), else its first name; after the first row's
    position index, if the row labels had one."""
    tokens = [name.split("_") for name in names[start:stop]]
    common = []
    for parts in zip(*tokens):
        if any(part != parts[0] for part in parts):
            break
        common.append(parts[0])
    prefix = "_".join(common)
    label = prefix if any(c.isdigit() for c in prefix) else names[start]
    return positions[start] + label


@functools.lru_cache(maxsize=64)
def _layer_groups(labels, max_groups):
    if not labels:
        return ()
    positions, names = [], []
    for label in labels:
        match = _POSITION.match(label)
        positions.append(match.group(1) if match else "")
        names.append(match.group(2) if match else label)
    numbers = [tuple(int(n) for n in _NUMBER.findall(name)) for name in names]
    by_level = {k: _runs([n[:k] for n in numbers]) for k in (2, 1)}
    runs = next((by_level[k] for k in (2, 1)
                 if 2 <= len(by_level[k]) <= max_groups), None)
    if runs is None:
        # too many (or too few) blocks: merge consecutive groups of the
        # coarsest level with at least two groups, else single layers
        base = next((by_level[k] for k in (1, 2) if len(by_level[k]) >= 2),
                    [(i, i + 1) for i in range(len(names))])
        size = math.ceil(len(base) / max_groups)
        runs = [(base[i][0], base[min(i + size, len(base)) - 1][1])
                for i in range(0, len(base), size)]
        labels_of = [_group_label(names, positions, *base[i])
                     for i in range(0, len(base), size)]
        return tuple((start, label)
                     for (start, _), label in zip(runs, labels_of))
    return tuple((start, _group_label(names, positions, start, stop))
                 for start, stop in runs)


def layer_groups(names, max_groups=40):
    """Groups consecutive layers into blocks or stages by their names.

    A layer's key at level k is the tuple of the first k integers in its
    name (after a leading position index such as the `37 ` of
    `"37 act_37"`, which is ignored): in ResNet50V2, level 2 gives blocks
    (`conv2_block1_1_conv` -> (2, 1)) and level 1 stages (-> (2,)); in a
    factory model (`dense_0, act_0, scale_0, dense_1, ...`) level 1 gives
    blocks. A group is a maximal run of consecutive layers with the same key
    (so the same key twice, separated by another, makes two groups). The
    finest level (2, then 1) that gives 2 to `max_groups` groups is used;
    else consecutive groups of the level-1 grouping (of single layers if the
    names have no numbers) are merged into chunks of
    `ceil(n_groups / max_groups)`.

    Args:
        names: a name per layer, in depth order.
        max_groups: the most groups returned.

    Returns:
        `[(first_row, label), ...]` in row order, the first at row 0 (empty
        for no names). A group's label is the longest common `_`-token prefix
        of its names if that has a digit (`conv2_block1`, `conv3`), else its
        first layer's name (`dense_7`); a merged chunk takes its first
        group's label. A leading position index is kept (`"14 dense_7"`).
    """
    max_groups = max(1, int(max_groups))
    return list(_layer_groups(tuple(str(n) for n in names), max_groups))
