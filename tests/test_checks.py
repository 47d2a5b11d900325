"""`keras_initact.checks`: the checks read NumPy numbers as Python numbers,
check sequences, ranges and choices, and refuse bad NumPy values with a
message that names them."""

import json
import math

import numpy as np
import pytest

from keras_initact import checks
from keras_initact import layers as L


NAN, INF = math.nan, math.inf


def test_the_checks_read_numpy_numbers_as_python_numbers():
    owner = "f"
    for value, expected in ((np.float32(2.5), 2.5), (np.float64(-1.0), -1.0),
                            (np.int64(3), 3), (np.uint8(7), 7),
                            (np.array(2.5), 2.5), (np.array(4), 4)):
        number = checks.check_number("a", value, owner)
        assert number == expected and type(number) is type(expected)
    assert checks.check_between("a", np.float32(0.5), owner, 0, 1) == 0.5
    assert checks.check_frequency(np.float16(2), owner) == 2.0
    assert checks.check_slope("a", np.float32(0), owner) == 0.0
    assert checks.check_non_zero("a", np.int32(-2), owner) == -2.0
    for value in (np.int64(3), np.int8(3), np.array(3)):
        assert checks.check_int("a", value, owner) == 3
        assert type(checks.check_positive_int("a", value, owner)) is int
    assert checks.check_bool("a", np.bool_(False), owner) is False
    assert checks.check_axes("a", np.int64(-1), owner) == [-1]
    assert checks.check_axes("a", [np.int32(1), 2], owner) == [1, 2]
    assert checks.check_axes("a", np.array([1, 2]), owner) == [1, 2]
    assert checks.check_axis("a", np.int64(2), owner) == 2
    lower, upper = checks.check_rrelu_range(np.float32(0.125),
                                            np.float64(0.25), owner)
    assert (lower, upper) == (0.125, 0.25) and type(lower) is float
    # and what they hold is a plain Python number, for JSON configs
    config = L.Snake(frequency=np.float32(2)).get_config()
    assert type(config["frequency"]) is float
    assert json.loads(json.dumps(L.RReLU(np.float32(0.25), np.float32(0.5))
                                 .get_config()))["lower"] == 0.25


def test_the_sequence_range_and_choice_checks():
    owner = "f"
    assert checks.check_positive_ints(
        "a", (np.int64(2), 3, np.array(4)), owner) == [2, 3, 4]
    assert checks.check_positive_ints("a", np.array([1, 2]), owner) == [1, 2]
    assert checks.check_positive_ints("a", [], owner) == []
    for value, message in (([], "must not be empty"), ([0], "0 is not one"),
                           ([1.5], "1.5 is not one"), ("ab", "list or tuple"),
                           (3, "list or tuple"), ([True], "True is not one")):
        with pytest.raises(ValueError, match=message):
            checks.check_positive_ints("a", value, owner, allow_empty=False)
    assert checks.check_rate("a", np.float32(0.5), owner) == 0.5
    assert type(checks.check_rate("a", 0, owner)) is float
    for value in (1.0, -0.1, NAN, INF, True, "0.1", np.array([0.1])):
        with pytest.raises(ValueError, match=r"a number in \[0, 1\)"):
            checks.check_rate("a", value, owner)
    assert checks.check_int_in_range("a", np.int64(3), owner, 0, 4) == 3
    assert checks.check_int_in_range("a", None, owner, 0, 4,
                                     allow_none=True) is None
    for value in (4, -1, 1.0, True, None):
        with pytest.raises(ValueError, match=r"an int in \[0, 4\)"):
            checks.check_int_in_range("a", value, owner, 0, 4)
    allowed = ("max", "stride", None, True)
    assert checks.check_choice("a", np.str_("max"), allowed, owner) == "max"
    assert checks.check_choice("a", None, allowed, owner) is None
    assert checks.check_choice("a", np.bool_(True), allowed, owner) is True
    for value in (0, "", 1, False, np.array(["max"]), "maximum"):
        with pytest.raises(ValueError, match=r"unknown a=.*Allowed: 'max'"):
            checks.check_choice("a", value, allowed, owner)
    with pytest.raises(ValueError, match="Did you mean 'max'"):
        checks.check_choice("a", "mx", allowed, owner)
    assert checks.is_integer(np.uint8(1)) and not checks.is_integer(True)
    assert checks.is_bool(np.bool_(False)) and not checks.is_bool(0)


@pytest.mark.parametrize("check, value, message", [
    (checks.check_number, np.float32(NAN), "must be finite"),
    (checks.check_number, np.float64(INF), "must be finite"),
    (checks.check_number, np.array(NAN), "must be finite"),
    (checks.check_number, np.bool_(True), "must be a real number"),
    (checks.check_number, np.array([1.0]), "must be a real number"),
    (checks.check_number, np.complex64(1), "must be a real number"),
    (checks.check_frequency, np.float32(0), "must be positive"),
    (checks.check_frequency, np.float32(-2), "must be positive"),
    (checks.check_slope, np.float32(-0.1), "must be non-negative"),
    (checks.check_non_zero, np.float64(0), "must be non-zero"),
    (checks.check_int, np.float64(3), "must be an integer"),
    (checks.check_int, np.bool_(True), "must be an integer"),
    (checks.check_positive_int, np.int64(0), "positive integer"),
    (checks.check_bool, np.int64(1), "True or False"),
    (checks.check_axes, np.float32(1), "int or a non-empty list of ints"),
    (checks.check_axes, [np.bool_(True)], "int or a non-empty list of ints"),
])
def test_the_checks_refuse_bad_numpy_values_naming_them(check, value,
                                                        message):
    arguments = {"check_frequency": (value, "f"),
                 "check_number": ("a", value, "f")}.get(
        check.__name__, ("a", value, "f"))
    with pytest.raises(ValueError, match=message) as info:
        check(*arguments)
    assert repr(value) in str(info.value)
