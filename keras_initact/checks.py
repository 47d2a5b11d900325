"""Argument checks shared by every public constructor and function.

Each returns the checked value or raises a `ValueError` that names the
owner (a class or function), the argument, the rule and the value received.
The module imports nothing of the package, so every level can use it.
"""

import argparse
import difflib
import math
import numbers


def _real(value):
    """`value` as a Python int or float when it is one real number (Python
    or NumPy, or a 0-d array or tensor of a real dtype), else `None`."""
    if isinstance(value, (bool, str, bytes)) or _is_boolean(value):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    shape = getattr(value, "shape", None)
    if shape is not None:  # arrays and tensors: one number, of a real dtype
        dtype = str(getattr(value, "dtype", "")).lower()
        try:
            zero_d = tuple(shape) == ()
        except TypeError:
            return None
        if not zero_d or "complex" in dtype:
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return int(number) if "int" in dtype else number
    if isinstance(value, numbers.Complex):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _is_boolean(value):
    """A bool of any kind: Python's, NumPy's, or a 0-d boolean array."""
    if isinstance(value, bool):
        return True
    return "bool" in str(getattr(value, "dtype", "")).lower()


def is_real_number(value):
    """Whether `value` is one real number given as a number: a Python or
    NumPy scalar or a 0-d NumPy array, not a bool and not a tensor (which
    may be symbolic). Functions that take "a number or a tensor" check the
    numbers and leave the tensors to broadcasting."""
    if isinstance(value, numbers.Real) and not _is_boolean(value):
        return True
    return (type(value).__module__ == "numpy" and getattr(value, "ndim", 1)
            == 0 and _real(value) is not None)


def check_number(name, value, owner, *, positive=False, non_negative=False):
    """Checks that an argument is a finite real number with the given sign.

    Python and NumPy numbers (`np.float32`, `np.int64`) and 0-d arrays or
    tensors pass, and are returned as Python numbers (an int for integers);
    booleans (NumPy's too), strings, arrays of more than one number, NaN and
    infinities do not.
    """
    number = _real(value)
    if number is None:
        raise ValueError(
            f"{owner}: `{name}` must be a real number; received "
            f"{name}={value!r}."
        )
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(
            f"{owner}: `{name}` must be finite; received {name}={value!r}."
        )
    if positive and number <= 0:
        raise ValueError(
            f"{owner}: `{name}` must be positive; received {name}={value!r}."
        )
    if non_negative and number < 0:
        raise ValueError(
            f"{owner}: `{name}` must be non-negative; received "
            f"{name}={value!r}."
        )
    return number


def check_between(name, value, owner, low, high):
    """Checks that an argument is a finite number strictly inside (low, high)."""
    number = check_number(name, value, owner)
    if not low < number < high:
        raise ValueError(
            f"{owner}: `{name}` must lie strictly between {low} and {high}; "
            f"received {name}={value!r}."
        )
    return number


def check_bool(name, value, owner):
    """True or False (Python's or NumPy's), returned as a Python bool."""
    if is_bool(value):
        return bool(value)
    raise ValueError(
        f"{owner}: `{name}` must be True or False; received "
        f"{name}={value!r}."
    )


def _integer(value):
    """`value` as a Python int when it is one integer (Python or NumPy, or
    a 0-d integer array or tensor; not a bool), else `None`."""
    number = _real(value)
    if isinstance(number, int) and (
            isinstance(value, numbers.Integral)
            or "int" in str(getattr(value, "dtype", ""))):
        return number
    return None


def check_int(name, value, owner):
    """An integer (Python or NumPy, not a bool), returned as a Python int."""
    number = _integer(value)
    if number is None:
        raise ValueError(
            f"{owner}: `{name}` must be an integer; received {name}={value!r}."
        )
    return number


def check_positive_int(name, value, owner, *, allow_none=False):
    """An integer >= 1 (or `None` when `allow_none`), as a Python int."""
    if value is None and allow_none:
        return None
    number = _integer(value)
    if number is None or number < 1:
        rule = "a positive integer" + (" or None" if allow_none else "")
        raise ValueError(
            f"{owner}: `{name}` must be {rule}; received {name}={value!r}."
        )
    return number


def check_exclusive(owner, **arguments):
    """Checks that at most one of the keyword arguments is not None."""
    given = {name: value for name, value in arguments.items() if value is not None}
    if len(given) > 1:
        names = " or ".join(f"`{name}`" for name in arguments)
        received = ", ".join(f"{name}={value!r}" for name, value in given.items())
        raise ValueError(f"{owner}: give {names}, not both; received {received}.")


def check_choice(name, value, allowed, owner):
    """Checks that `value` is one of `allowed`, suggesting close matches.

    Returns the entry of `allowed` that matched. Strings and numbers match
    an equal value; `None`, `True` and `False` only themselves (NumPy's
    bools too), so that neither `0` nor `""` passes for `None` or `False`.
    """
    for choice in allowed:
        if _is_choice(value, choice):
            return choice
    names = [choice for choice in allowed if isinstance(choice, str)]
    close = difflib.get_close_matches(str(value), names, n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    raise ValueError(
        f"{owner}: unknown {name}={value!r}. Allowed: "
        f"{', '.join(map(repr, allowed))}.{hint}"
    )


def _is_choice(value, choice):
    if choice is None or isinstance(choice, bool) or _is_boolean(value):
        return value is choice or (isinstance(choice, bool) and is_bool(value)
                                   and bool(value) is choice)
    try:
        return getattr(value, "ndim", 0) == 0 and bool(value == choice)
    except (TypeError, ValueError):
        return False


def check_positive_ints(name, value, owner, *, allow_empty=True,
                        example="(64, 32)"):
    """A list or tuple of integers >= 1 (Python or NumPy), such as layer
    widths or a shape, returned as a list of Python ints; `example` shows
    a good value in the message."""
    if isinstance(value, (str, bytes, dict)) or not is_iterable(value):
        raise ValueError(
            f"{owner}: `{name}` must be a list or tuple of positive "
            f"integers, e.g. {example}; received {name}={value!r}."
        )
    items = list(value)
    checked = [_integer(item) for item in items]
    for item, number in zip(items, checked):
        if number is None or number < 1:
            raise ValueError(
                f"{owner}: `{name}` must hold positive integers only; "
                f"received {name}={value!r}, and {item!r} is not one."
            )
    if not items and not allow_empty:
        raise ValueError(
            f"{owner}: `{name}` must not be empty, e.g. {example}; received "
            f"{name}={value!r}."
        )
    return checked


def check_int_in_range(name, value, owner, low, high, *, allow_none=False):
    """An integer with `low <= value < high` (or `None` when `allow_none`),
    returned as a Python int."""
    if value is None and allow_none:
        return None
    number = _integer(value)
    if number is None or not low <= number < high:
        rule = ("None or " if allow_none else "") + f"an int in [{low}, {high})"
        raise ValueError(
            f"{owner}: `{name}` must be {rule}; received {name}={value!r}."
        )
    return number


def check_rate(name, value, owner):
    """A rate in [0, 1), such as a dropout rate: a real number (Python or
    NumPy), returned as a float. NaN and infinities are outside."""
    number = _real(value)
    if number is None or not 0 <= number < 1:
        raise ValueError(
            f"{owner}: `{name}` must be a number in [0, 1); received "
            f"{name}={value!r}."
        )
    return float(number)


def is_integer(value):
    """Whether `value` is one integer, Python's or NumPy's, not a bool."""
    return _integer(value) is not None


def is_bool(value):
    """Whether `value` is True or False, Python's or NumPy's."""
    return _is_boolean(value) and getattr(value, "ndim", 0) == 0


def is_iterable(value):
    """Whether `iter(value)` works."""
    try:
        iter(value)
    except TypeError:
        return False
    return True


# -- arguments of activation functions and layers ---------------------------


def check_slope(name, value, owner):
    """A negative-side slope: a finite number >= 0."""
    return check_number(name, value, owner, non_negative=True)


def check_non_zero(name, value, owner):
    """A finite number other than 0 (a scale that 0 would make constant),
    returned as a float."""
    number = check_number(name, value, owner)
    if number == 0:
        raise ValueError(
            f"{owner}: `{name}` must be non-zero (it would make the unit "
            f"constant); received {name}={value!r}."
        )
    return float(number)


def check_optional_number(name, value, owner, **sign):
    return None if value is None else check_number(name, value, owner, **sign)


def check_ordered(owner, low_name, low, high_name, high, *, strict=False,
                  why=""):
    """Checks that the numbers `low <= high` (`low < high` when `strict`);
    `why` says, after the rule, what the order is for."""
    if low < high or (low == high and not strict):
        return low, high
    rule = "must be smaller than" if strict else "must not exceed"
    raise ValueError(
        f"{owner}: `{low_name}` {rule} `{high_name}`{why}; received "
        f"{low_name}={low!r}, {high_name}={high!r}."
    )


def check_rrelu_range(lower, upper, owner):
    """RReLU's slope range: `0 <= lower <= upper < 1`."""
    low = check_number("lower", lower, owner, non_negative=True)
    high = check_number("upper", upper, owner, non_negative=True)
    if high >= 1:
        raise ValueError(
            f"{owner}: the slopes must lie in [0, 1); received upper={upper!r}."
        )
    return check_ordered(owner, "lower", low, "upper", high)


def check_frequency(value, owner):
    """Snake's frequency: a finite number > 0."""
    return check_number("frequency", value, owner, positive=True)


def check_axes(name, axes, owner):
    """An int or a non-empty list of ints (Python or NumPy), returned as a
    list of Python ints."""
    if isinstance(axes, (list, tuple)):
        values = list(axes)
    elif type(axes).__module__ == "numpy" and getattr(axes, "ndim", 0) == 1:
        values = list(axes)
    else:
        values = [axes]
    checked = [_integer(a) for a in values]
    if not values or any(a is None for a in checked):
        raise ValueError(
            f"{owner}: `{name}` must be an int or a non-empty list of ints; "
            f"received {name}={axes!r}."
        )
    return checked


def check_axis(name, axis, owner):
    """One int (or a list holding one), returned as an int."""
    axes = check_axes(name, axis, owner)
    if len(axes) != 1:
        raise ValueError(f"{owner}: `{name}` must be one axis; received "
                         f"{name}={axis!r}.")
    return axes[0]


def check_axis_in_rank(name, axis, rank, owner):
    """Checks that the int `axis` indexes a tensor of `rank` dimensions, as
    Keras counts them (`-rank <= axis < rank`); returns it non-negative."""
    if not -rank <= axis < rank:
        allowed = (f"an int from {-rank} to {rank - 1}" if rank
                   else "none: a scalar has no axes")
        raise ValueError(
            f"{owner}: `{name}` is outside an input of rank {rank}; allowed: "
            f"{allowed}. Received {name}={axis!r}."
        )
    return axis + rank if axis < 0 else axis


def check_halvable(name, axis, shape, owner):
    """A gated unit's input: `axis` indexes `shape` and the size there is
    even (or unknown), so that it splits into two halves. Returns the axis
    non-negative."""
    shape = tuple(shape)
    index = check_axis_in_rank(name, axis, len(shape), owner)
    size = shape[index]
    if size is not None and int(size) % 2:
        raise ValueError(
            f"{owner}: the input's size along `{name}` must be even, as a "
            f"gated unit splits it into two halves; received {name}="
            f"{axis}, where input_shape={shape} has size {size}. Give the "
            "layer before it an even width (twice the units the gated unit "
            "should output)."
        )
    return index


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
