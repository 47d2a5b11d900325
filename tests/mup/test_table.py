"""The μP table against Tensor Programs V's Table 3, entry by entry.

Table 3 (Yang et al., 2021) gives μP in absolute terms for a network of
width n: input weights and biases `Var 1/fan_in`, SGD lr `fan_out`, Adam
lr 1; hidden weights `Var 1/fan_in`, SGD lr 1, Adam lr `1/fan_in`; output
weights `Var 1/fan_in^2`, SGD lr `1/fan_in`, Adam lr `1/fan_in`, all with
multiplier 1. MUP_TABLE is the equivalent form with the readout's
multiplier `1/m_in`: a weight used as `a * w`, drawn with variance
`sigma^2` and trained at rate `c`, computes the same function as the
weight `a * w` drawn with variance `a^2 sigma^2` and trained with SGD at
`a^2 c` or Adam at `a c`. So each row's effective variance, SGD rate and
Adam rate must equal Table 3's, relative to the base width.
"""

import pytest

from keras_initact.mup.table import LEARNING_RATE_RULES, MUP_TABLE, kind_of

BASE = 64.0


def table_3(kind, fan_in, fan_out):
    """Table 3's (init variance, SGD lr, Adam lr) in absolute terms."""
    return {
        "input": (1 / fan_in, fan_out, 1.0),
        "hidden": (1 / fan_in, 1.0, 1 / fan_in),
        "output": (1 / fan_in ** 2, 1 / fan_in, 1 / fan_in),
    }[kind]


def effective(rule, m_in, m_out):
    """The row's (variance, SGD lr, Adam lr) of the weight `a * w`."""
    a = rule.multiplier(m_in, m_out)
    return (a ** 2 * rule.init_variance(m_in, m_out),
            a ** 2 * rule.sgd_learning_rate(m_in, m_out),
            a * rule.adam_learning_rate(m_in, m_out))


# (kind, fan_in, fan_out) at width n, for a fixed-size input and output.
SHAPES = {
    "input": lambda n: (10.0, n),
    "hidden": lambda n: (n, n),
    "output": lambda n: (n, 10.0),
}


@pytest.mark.parametrize("kind", ["input", "hidden", "output"])
@pytest.mark.parametrize("width", [64.0, 128.0, 1024.0, 4096.0])
def test_each_row_is_table_3_relative_to_the_base(kind, width):
    fan_in, fan_out = SHAPES[kind](width)
    base_in, base_out = SHAPES[kind](BASE)
    m_in, m_out = fan_in / base_in, fan_out / base_out
    ours = effective(MUP_TABLE[kind], m_in, m_out)
    wanted = [at_width / at_base for at_width, at_base in zip(
        table_3(kind, fan_in, fan_out), table_3(kind, base_in, base_out))]
    assert ours == pytest.approx(wanted, rel=1e-12)


def test_the_rows_own_entries():
    m_in, m_out = 4.0, 2.0
    rows = {kind: (rule.init_variance(m_in, m_out),
                   rule.multiplier(m_in, m_out),
                   rule.sgd_learning_rate(m_in, m_out),
                   rule.adam_learning_rate(m_in, m_out))
            for kind, rule in MUP_TABLE.items()}
    assert rows == {
        "input": (1.0, 1.0, 2.0, 1.0),
        # A non-square hidden weight's SGD rate is fan_out / fan_in, as
        # mup.MuSGD's (Table 3's 1 for square ones).
        "hidden": (0.25, 1.0, 0.5, 0.25),
        "output": (1.0, 0.25, 4.0, 1.0),
        "fixed": (1.0, 1.0, 1.0, 1.0),
    }


def test_at_the_base_width_every_entry_is_one():
    for rule in MUP_TABLE.values():
        assert effective(rule, 1.0, 1.0) == (1.0, 1.0, 1.0)


def test_kinds_follow_which_fans_are_widths():
    assert [kind_of(True, True), kind_of(False, True), kind_of(True, False),
            kind_of(False, False)] == ["hidden", "input", "output", "fixed"]


def test_adam_and_sgd_read_their_own_column():
    hidden = MUP_TABLE["hidden"]
    assert LEARNING_RATE_RULES["adam"](hidden)(8.0, 8.0) == 1 / 8
    assert LEARNING_RATE_RULES["sgd"](hidden)(8.0, 8.0) == 1.0
