"""keras_initact.deep.recipe: `InitRecipe` is built with keywords only, and
one `ShapingResult` holds a shaped recipe's method, transform and weight
scale, checking its fields."""

import pytest

from keras_initact import initializers as inits
from keras_initact.deep import InitRecipe, ShapingResult, for_activation
from keras_initact.deep.shaping import ActivationTransform


class TestInitRecipe:
    def test_is_built_with_keywords_only(self):
        with pytest.raises(TypeError):
            InitRecipe("relu", {}, inits.HeNormal(), inits.Zeros(),
                       inits.HeNormal(), inits.Zeros(), "why")
        recipe = InitRecipe(activation="relu", kernel_initializer=inits.HeNormal(),
                            bias_initializer=inits.Zeros(),
                            input_kernel_initializer=inits.HeNormal(),
                            input_bias_initializer=inits.Zeros(), rationale="why")
        assert recipe.activation_arguments == {} and recipe.shaping_result is None
        assert not recipe.shaped and recipe.shaping is None
        assert recipe.transform is None and recipe.activation_rescale == 1.0

    def test_one_shaping_result_holds_method_transform_and_weight_scale(self):
        recipe = for_activation("gelu", depth=50, shaping="dks", weight_scale=5)
        result = recipe.shaping_result
        assert result.method == "dks" and result.weight_scale == 5.0
        assert result.transform is recipe.transform is not None
        assert recipe.shaped and recipe.shaping == "dks"
        assert recipe.activation_rescale == pytest.approx(0.2)
        relu = for_activation("relu", depth=50, shaping=True).shaping_result
        assert relu == ShapingResult(50 / 8, method="tat")
        # shaping asked for, but neither method changes hard_tanh
        hard = for_activation("hard_tanh", depth=50, shaping="dks")
        assert hard.shaping_result == ShapingResult(50 / 8)
        assert for_activation("tanh", depth=50).shaping_result is None

    def test_a_shaping_result_checks_its_fields(self):
        with pytest.raises(ValueError, match="`weight_scale` must be positive"):
            ShapingResult(0.0)
        with pytest.raises(ValueError, match="method='DKS'"):
            ShapingResult(2.0, method="DKS")
        with pytest.raises(ValueError, match="a transform needs the method"):
            ShapingResult(2.0, transform=ActivationTransform(1.0, 0.0, 0.0, 1.0))
