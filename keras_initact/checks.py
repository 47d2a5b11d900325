"""Argument checks shared by every public constructor and function.

Each returns the checked value or raises a `ValueError` that names the
owner (a class or function), the argument, the rule and the value received.
The module imports nothing of the package, so every level can use it.
"""

import argparse
import difflib
import math
import numbers


def check_number(name, value, owner, *, positive=False, non_negative=False):
    """Checks that an argument is a finite real number with the given sign.

    Python and NumPy numbers and 0-d arrays or tensors pass (and are
    returned as Python numbers); booleans and strings do not.
    """
    if isinstance(value, (bool, str, bytes)):
        raise ValueError(
            f"{owner}: `{name}` must be a real number; received "
            f"{name}={value!r}."
        )
    if not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"{owner}: `{name}` must be a real number; received "
                f"{name}={value!r}."
            ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(
            f"{owner}: `{name}` must be finite; received {name}={value!r}."
        )
    if positive and value <= 0:
        raise ValueError(
            f"{owner}: `{name}` must be positive; received {name}={value!r}."
        )
    if non_negative and value < 0:
        raise ValueError(
            f"{owner}: `{name}` must be non-negative; received "
            f"{name}={value!r}."
        )
    return value


def check_between(name, value, owner, low, high):
    """Checks that an argument is a finite number strictly inside (low, high)."""
    value = check_number(name, value, owner)
    if not low < value < high:
        raise ValueError(
            f"{owner}: `{name}` must lie strictly between {low} and {high}; "
            f"received {name}={value!r}."
        )
    return value


def check_bool(name, value, owner):
    if not isinstance(value, bool):
        raise ValueError(
            f"{owner}: `{name}` must be True or False; received "
            f"{name}={value!r}."
        )
    return value


def check_int(name, value, owner):
    """An integer (Python or NumPy, not a bool), returned as a Python int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(
            f"{owner}: `{name}` must be an integer; received {name}={value!r}."
        )
    return int(value)


def check_positive_int(name, value, owner, *, allow_none=False):
    """An integer >= 1 (or `None` when `allow_none`), as a Python int."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) \
            or value < 1:
        rule = "a positive integer" + (" or None" if allow_none else "")
        raise ValueError(
            f"{owner}: `{name}` must be {rule}; received {name}={value!r}."
        )
    return int(value)


def check_exclusive(owner, **arguments):
    """Checks that at most one of the keyword arguments is not None."""
    given = {name: value for name, value in arguments.items() if value is not None}
    if len(given) > 1:
        names = " or ".join(f"`{name}`" for name in arguments)
        received = ", ".join(f"{name}={value!r}" for name, value in given.items())
        raise ValueError(f"{owner}: give {names}, not both; received {received}.")


def check_choice(name, value, allowed, owner):
    """Checks that `value` is one of `allowed`, suggesting close matches."""
    if value in allowed:
        return value
    close = difflib.get_close_matches(str(value), list(allowed), n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise ValueError(
        f"{owner}: unknown {name}={value!r}. Allowed: "
        f"{', '.join(map(repr, allowed))}.{hint}"
    )


# -- arguments of activation functions and layers ---------------------------


def check_slope(name, value, owner):
    """A negative-side slope: a finite number >= 0."""
    return check_number(name, value, owner, non_negative=True)


def check_non_zero(name, value, owner):
    """A finite number other than 0 (a scale that 0 would make constant),
    returned as a float."""
    value = check_number(name, value, owner)
    if value == 0:
        raise ValueError(
            f"{owner}: `{name}` must be non-zero (it would make the unit "
            f"constant); received {name}={value!r}."
        )
    return float(value)


def check_optional_number(name, value, owner, **sign):
    return None if value is None else check_number(name, value, owner, **sign)


def check_rrelu_range(lower, upper, owner):
    """RReLU's slope range: `0 <= lower <= upper < 1`."""
    check_number("lower", lower, owner, non_negative=True)
    check_number("upper", upper, owner, non_negative=True)
    if upper >= 1:
        raise ValueError(
            f"{owner}: the slopes must lie in [0, 1); received upper={upper!r}."
        )
    if lower > upper:
        raise ValueError(
            f"{owner}: `lower` must not exceed `upper`; received "
            f"lower={lower!r}, upper={upper!r}."
        )
    return lower, upper


def check_frequency(value, owner):
    """Snake's frequency: a finite number > 0."""
    return check_number("frequency", value, owner, positive=True)


def check_axes(name, axes, owner):
    """An int or a non-empty list of ints, returned as a list."""
    values = list(axes) if isinstance(axes, (list, tuple)) else [axes]
    if not values or any(
        isinstance(a, bool) or not isinstance(a, int) for a in values
    ):
        raise ValueError(
            f"{owner}: `{name}` must be an int or a non-empty list of ints; "
            f"received {name}={axes!r}."
        )
    return values


def check_axis(name, axis, owner):
    """One int (or a list holding one), returned as an int."""
    axes = check_axes(name, axis, owner)
    if len(axes) != 1:
        raise ValueError(f"{owner}: `{name}` must be one axis; received "
                         f"{name}={axis!r}.")
    return axes[0]


def check_axes_in_rank(name, axes, rank, owner, *, allow_batch=True):
    """Checks that each axis indexes a tensor of `rank` dimensions.

    Returns the axes as non-negative ints. With `allow_batch=False`, axis 0
    (the batch axis) is refused as well.
    """
    first = 0 if allow_batch else 1
    resolved = []
    for axis in axes:
        positive = axis + rank if axis < 0 else axis
        if not first <= positive < rank:
            allowed = (
                f"[{-rank}, {rank - 1}]" if allow_batch
                else f"1..{rank - 1} (or {-rank + 1}..-1; not the batch axis 0)"
            )
            raise ValueError(
                f"{owner}: `{name}` contains axis {axis}, which is outside "
                f"an input of rank {rank}; allowed axes: {allowed}. Received "
                f"{name}={list(axes)}."
            )
        resolved.append(positive)
    if len(set(resolved)) != len(resolved):
        raise ValueError(
            f"{owner}: `{name}` names an axis twice; received "
            f"{name}={list(axes)}."
        )
    return resolved


# -- command-line option types ------------------------------------------------
# As argparse `type=`s: a bad value exits with code 2 and
# "argument --name: expected ...; received '...'".


def positive_int_option(text):
    """An integer >= 1."""
    return _parsed_option(text, int, "a positive integer", lambda v: v >= 1)


def int_option(text):
    """Any integer (seeds)."""
    return _parsed_option(text, int, "an integer", lambda v: True)


def positive_float_option(text):
    """A finite number > 0."""
    return _parsed_option(text, float, "a finite number > 0",
                          lambda v: math.isfinite(v) and v > 0)


def fraction_option(text):
    """A number in [0, 1]."""
    return _parsed_option(text, float, "a number between 0 and 1",
                          lambda v: 0.0 <= v <= 1.0)


def _parsed_option(text, parse, rule, allowed):
    try:
        value = parse(text)
    except ValueError:
        value = None
    if value is None or not allowed(value):
        raise argparse.ArgumentTypeError(f"expected {rule}; received {text!r}")
    return value


def require_tensorflow_backend(owner, why):
    """Raises `RuntimeError` unless Keras runs on TensorFlow: `owner` needs
    it (`why`)."""
    import keras

    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise RuntimeError(
            f"{owner} needs Keras's TensorFlow backend ({why}); this process "
            f"runs {backend!r}. Set KERAS_BACKEND=tensorflow before keras is "
            "imported.")
