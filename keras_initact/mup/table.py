"""The μP table: how each kind of weight scales with width.

Tensor Programs V (Yang et al., "Tuning Large Neural Networks via
Zero-Shot Hyperparameter Transfer", 2021), Table 3, in the equivalent form
that Microsoft's `mup` package implements (`MuReadout`, `MuAdam`,
`MuSGD`): the output layer carries the multiplier `1/fan_in` and a
width-independent initialization variance, in place of Table 3's output
variance `1/fan_in^2` (the paper's rule trades them: variance times `c`
for multiplier over `sqrt(c)`, with the learning rates to match). Every
entry is relative to the base model, where μP and the standard
parametrization agree, as a function of the width multipliers of the
weight's fan-in and fan-out, `m_in` and `m_out` (`width / base width`):

| kind | which weights | init variance | multiplier | SGD lr | Adam lr |
|---|---|---|---|---|---|
| `input` | fan-in fixed, fan-out a width: the first layer, embeddings, every bias | 1 | 1 | m_out | 1 |
| `hidden` | both widths | 1/m_in | 1 | m_out/m_in | 1/m_in |
| `output` | fan-in a width, fan-out fixed: the readout | 1 | 1/m_in | m_in | 1 |
| `fixed` | no width | 1 | 1 | 1 | 1 |

So Table 3's absolute entries: input weights and biases `Var 1/fan_in`
(fixed fan-in), SGD lr `fan_out`, Adam lr 1; hidden `Var 1/fan_in`, SGD lr
1 (square growth), Adam lr `1/fan_in`; output multiplier `1/fan_in`, SGD
lr `fan_in`, Adam lr 1.
"""

import dataclasses
from typing import Callable


@dataclasses.dataclass(frozen=True)
class MupRule:
    """One row of the μP table: each entry a function of
    `(fan_in_mult, fan_out_mult)`."""

    kind: str
    init_variance: Callable
    multiplier: Callable
    sgd_learning_rate: Callable
    adam_learning_rate: Callable


def _one(fan_in_mult, fan_out_mult):
    return 1.0


MUP_TABLE = {rule.kind: rule for rule in (
    MupRule("input", _one, _one,
            lambda m_in, m_out: m_out, _one),
    MupRule("hidden", lambda m_in, m_out: 1.0 / m_in, _one,
            lambda m_in, m_out: m_out / m_in,
            lambda m_in, m_out: 1.0 / m_in),
    MupRule("output", _one, lambda m_in, m_out: 1.0 / m_in,
            lambda m_in, m_out: m_in, _one),
    MupRule("fixed", _one, _one, _one, _one),
)}

# How an optimizer's update reads the table: Adam-like ones normalize the
# gradient entrywise (Adam, AdamW, RMSprop), SGD-like ones do not.
LEARNING_RATE_RULES = {
    "adam": lambda rule: rule.adam_learning_rate,
    "sgd": lambda rule: rule.sgd_learning_rate,
}


def kind_of(fan_in_is_width, fan_out_is_width):
    """The table's row for a weight whose fan-in and fan-out are (or are
    not) widths."""
    if fan_in_is_width and fan_out_is_width:
        return "hidden"
    if fan_out_is_width:
        return "input"
    if fan_in_is_width:
        return "output"
    return "fixed"
