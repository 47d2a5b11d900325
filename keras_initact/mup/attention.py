"""`MuMultiHeadAttention`: attention logits scaled as μP prescribes."""

import math

import keras

from keras_initact import keras_adapter
from keras_initact.checks import check_number, check_positive_int
from keras_initact.serialization import register


@register
class MuMultiHeadAttention(keras.layers.MultiHeadAttention):
    """`keras.layers.MultiHeadAttention` whose logits are scaled by `1/d`
    rather than `1/sqrt(d)`, `d` the `key_dim`, relative to a base:

        logits = attention_multiplier * sqrt(base_key_dim) / key_dim * q·k

    which is Keras's `q·k / sqrt(key_dim)` at the base `key_dim`. A wider
    `key_dim` makes `q` and `k` correlated after training, so `q·k` grows
    like `d`, not `sqrt(d)`: μP's attention rule (Yang et al., Tensor
    Programs V, 2021, Section 4; `mup`'s `attn_mult / d`).
    `set_base_shapes` sets `base_key_dim` from the base model. A layer that
    widens `num_heads` at a fixed `key_dim` needs none of this.

    >>> attention = keras_initact.mup.MuMultiHeadAttention(num_heads=4, key_dim=width // 4)
    >>> keras_initact.mup.set_base_shapes(model, base_model)   # sets base_key_dim

    Args:
        num_heads, key_dim: `MultiHeadAttention`'s.
        base_key_dim: the base model's `key_dim` (default: `key_dim`, where
            this is Keras's layer).
        attention_multiplier: a tunable constant, the same at every width.
        **kwargs: `MultiHeadAttention`'s.
    """

    def __init__(self, num_heads, key_dim, base_key_dim=None,
                 attention_multiplier=1.0, **kwargs):
        super().__init__(num_heads, key_dim, **kwargs)
        self.attention_multiplier = float(check_number(
            "attention_multiplier", attention_multiplier,
            "MuMultiHeadAttention", positive=True))
        self.set_base_key_dim(key_dim if base_key_dim is None
                              else base_key_dim)

    def set_base_key_dim(self, base_key_dim):
        """Sets the base model's `key_dim`, and the logit scale from it."""
        self.base_key_dim = check_positive_int(
            "base_key_dim", base_key_dim, "MuMultiHeadAttention")
        keras_adapter.set_attention_scale(
            self, self.attention_multiplier * math.sqrt(self.base_key_dim)
            / self.key_dim)

    def get_config(self):
        return {**super().get_config(), "base_key_dim": self.base_key_dim,
                "attention_multiplier": self.attention_multiplier}
