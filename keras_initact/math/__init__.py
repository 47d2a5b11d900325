"""The mathematics every other part of keras_initact reads, with no Keras layers.

- `functions`: each activation as a function of a tensor (`keras.ops`
  only), one module per family;
- `table`: the table of activations, one record each (`ActivationRecord`:
  names and aliases, function, regions, gain, suited initializer), and
  every lookup by name (`TABLE.find("silu")`);
- `regions`: where an activation is linear, saturated or dead;
- `quadrature`: expectations over a standard normal input;
- `gains`: PyTorch's `calculate_gain` and the variance-preserving gain of any
  activation;
- `mean_field`: the q- and c-maps of infinitely wide networks and their
  critical points (Poole et al. 2016; Schoenholz et al. 2017).

This is the lowest layer of the package: it imports only
`keras_initact.checks` and `keras_initact.serialization`.
"""
