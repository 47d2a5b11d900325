"""Which initializer, activation layer and seed each layer of a factory model gets.

Every random thing in a factory model is seeded from the spec's one `seed`:

| what                                   | seed                                    |
|----------------------------------------|-----------------------------------------|
| hidden kernels and biases, `"auto"`    | `for_activation(..., seed=seed)`'s own  |
| hidden kernel `i`, given initializer   | `derive_seed(seed, KERNEL, i)`          |
| hidden bias `i`, given initializer     | `derive_seed(seed, BIAS, i)`            |
| head kernel                            | `seed` itself                           |
| head bias, given initializer           | `derive_seed(seed, BIAS, depth)`        |
| dropout layer `i`                      | `derive_seed(seed, DROPOUT, i)`         |

Hidden layers are numbered through the conv stack and then the dense layers
(`depth` of them in all). The head's kernel carries the model's seed itself,
so that `spec_of` can read it back from a loaded model.
"""

import copy

import keras

from keras_initact.activations import ACTIVATIONS
from keras_initact.initializers import Zeros
from keras_initact.models.arguments import AUTO, HEAD_ACTIVATIONS
from keras_initact.seeding import derive_seed

# The first entry of the `derive_seed` path: what the seed is for.
KERNEL, BIAS, DROPOUT = 1, 2, 3


class InitPlan:
    """The initializers and activation layers of one `ModelSpec`'s layers.

    >>> plan = InitPlan(ModelSpec((8,), [16], task="regression", seed=1))
    >>> plan.kernel(0), plan.bias(0), plan.kernel(plan.depth)  # dense_0, head
    """

    def __init__(self, spec):
        self.spec = spec
        self.depth = spec.depth
        self.activation = ACTIVATIONS.spec(spec.activation)
        self.recipe = (spec.recipe()
                       if spec.kernel_initializer == AUTO else None)

    def is_head(self, index):
        return index == self.depth

    def kernel(self, index):
        """The kernel initializer of hidden layer `index` (`depth`: head)."""
        seed = self.spec.seed
        given = self.spec.kernel_initializer
        if given != AUTO:
            if not self.is_head(index):
                seed = derive_seed(seed, KERNEL, index)
            return initializer_with_seed(given, seed)
        if self.is_head(index):
            head = ACTIVATIONS.spec(HEAD_ACTIVATIONS[self.spec.task])
            return head.initializer(seed=seed)
        if self.recipe is not None:
            return self.recipe.kernel_for(index)
        return self.activation.initializer(
            seed=derive_seed(seed, KERNEL, index)
        )

    def bias(self, index):
        """The bias initializer of hidden layer `index` (`depth`: head).

        `"auto"`: the recipe's (zeros up to depth 8, the critical point's
        `N(0, sigma_b^2)` deeper) when the kernels are `"auto"` too; zeros
        otherwise and for the head.
        """
        given = self.spec.bias_initializer
        if given != AUTO:
            return initializer_with_seed(
                given, derive_seed(self.spec.seed, BIAS, index)
            )
        if self.recipe is not None and not self.is_head(index):
            return self.recipe.bias_for(index)
        return Zeros()

    def activation_layer(self, name):
        """A new hidden activation layer: the recipe's when it shaped the
        activation (TAT: a leaky ReLU for a deep ReLU network), else the
        registry's layer for the spec's activation."""
        if self.recipe is not None and self.recipe.shaped:
            return self.recipe.activation_layer(name=name)
        return self.activation.layer(name=name)

    def scale_layers(self, name):
        """The layers that follow an activation: a `Rescaling` by the
        recipe's `activation_rescale` when shaping scaled the outputs, else none."""
        if self.recipe is None or self.recipe.activation_rescale == 1.0:
            return []
        return [keras.layers.Rescaling(self.recipe.activation_rescale, name=name)]

    def dropout_seed(self, index):
        return derive_seed(self.spec.seed, DROPOUT, index)


def initializer_with_seed(config, seed):
    """A new initializer from a canonical config, seeded with `seed` when it
    takes a seed (stateless schemes such as Zeros are returned as they are)."""
    config = copy.deepcopy(config)
    if "seed" in config.get("config", {}):
        config["config"]["seed"] = seed
    return keras.initializers.deserialize(config)
