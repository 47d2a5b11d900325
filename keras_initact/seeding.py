"""Seeds derived from one seed, so that one number reproduces a whole model."""

import numpy as np

_SEED_LIMIT = 2**31 - 1


def derive_seed(seed, *path):
    """Returns a seed in [1, 2**31 - 1) determined by `seed` and `path`.

    Different paths give independent seeds (NumPy's `SeedSequence` mixes
    them), the same seed and path always give the same one:

    >>> derive_seed(42, 0) != derive_seed(42, 1)
    True

    Args:
        seed: an int (negative values are folded into 32 bits).
        *path: non-negative ints naming the place the seed is for, such as a
            layer index.
    """
    for part in (seed, *path):
        if isinstance(part, bool) or not isinstance(part, (int, np.integer)):
            raise ValueError(
                f"derive_seed takes integers; received {part!r} in "
                f"seed={seed!r}, path={path!r}."
            )
    for part in path:
        if part < 0:
            raise ValueError(
                f"derive_seed: path entries must be non-negative; "
                f"received path={path!r}."
            )
    entropy = [int(seed) & 0xFFFFFFFF, *(int(p) for p in path)]
    state = np.random.SeedSequence(entropy).generate_state(1, dtype=np.uint64)
    return int(state[0] % (_SEED_LIMIT - 1)) + 1
