"""keras_initact.initializers.lookup: `get` finds a scheme by any of its
names and aliases (also through Keras's strings), lets Keras's names fall
through and objects pass, makes a scheme from a config dict of ours or
Keras's, and refuses unknown names and bad dicts as Keras does."""

import keras
import pytest

from keras_initact import initializers as inits


class TestLookup:
    @pytest.mark.parametrize(
        "name, cls",
        [("he_normal", inits.HeNormal), ("kaiming_uniform", inits.HeUniform),
         ("xavier_normal", inits.GlorotNormal), ("XavierUniform", inits.GlorotUniform),
         ("keras_initact>KaimingNormal", inits.HeNormal), ("dirac", inits.Identity),
         ("delta_orthogonal", inits.DeltaOrthogonal), ("zer_o", inits.ZerO)],
    )
    def test_names_and_aliases(self, name, cls):
        assert type(inits.get(name)) is cls

    def test_alias_strings_resolve_through_keras(self):
        assert type(keras.initializers.get("keras_initact>XavierUniform")) is (
            inits.GlorotUniform
        )

    def test_keras_names_fall_through_and_objects_pass(self):
        assert isinstance(inits.get("stft"), keras.initializers.STFT)
        init = inits.HeNormal()
        assert inits.get(init) is init and inits.get(None) is None

    def test_unknown_names_list_the_known_ones(self):
        with pytest.raises(ValueError, match="Unknown initializer 'he_normall'.*HeNormal"):
            inits.get("he_normall")
        with pytest.raises(ValueError, match="cannot be made from its name alone"):
            inits.get("pretrained")

    def test_a_config_dict_names_one_of_ours_or_keras_or_is_refused(self):
        sparse = inits.get({"class_name": "Sparse",
                            "config": {"sparsity": 0.25, "seed": 1}})
        assert type(sparse) is inits.Sparse and sparse.sparsity == 0.25
        xavier = inits.get({"class_name": "XavierUniform",
                            "config": {"gain": 2.0}})
        assert type(xavier) is inits.GlorotUniform and xavier.gain == 2.0
        assert type(inits.get({"class_name": "ZerO"})) is inits.ZerO
        keras_own = keras.initializers.serialize(
            keras.initializers.GlorotUniform(seed=1))
        assert type(inits.get(keras_own)) is keras.initializers.GlorotUniform

    @pytest.mark.parametrize("config, message", [
        ({"class_name": "Sparse", "config": {"sparsity": 2}},
         r"Sparse: `sparsity` is a fraction in \[0, 1\]; received "
         r"sparsity=2"),
        ({"class_name": "keras_initact>Sparse", "config": {"sparsity": 2}},
         "received sparsity=2"),
        ({"class_name": "Sparse"}, r"Sparse cannot be made from config=\{\}"
         r".*sparsity"),
        ({"class_name": "HeNormal", "config": {"sead": 1}},
         r"HeNormal cannot be made from config=\{'sead': 1\}.*'sead'"),
        ({"class_name": "Bogus"}, r"Unknown initializer 'Bogus'\. "
         "keras_initact knows"),
        ({"class_name": "Bogus", "config": {}}, "Unknown initializer 'Bogus'"),
        ({"class_name": "XavierUnifrom", "config": {}},
         "Did you mean 'XavierUniform'"),
        ({"class_name": 3}, r"class_name=3"),
        ({"class_name": "Sparse", "config": [0.5]},
         r"`config` must be a dict"),
    ])
    def test_a_bad_config_dict_is_an_error_as_in_keras(self, config, message):
        with pytest.raises(ValueError, match=message):
            inits.get(config)
        with pytest.raises((ValueError, TypeError)):
            keras.initializers.get(config)  # Keras refuses each one too
