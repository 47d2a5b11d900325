"""The mathematics every other part of keras_initact reads, with no Keras layers.

- `functions`: each activation as a function of a tensor (`keras.ops` only),
  registered once in `functions.FUNCTIONS`;
- `regions`: where an activation is linear, saturated or dead;
- `gains`: PyTorch's `calculate_gain` and the variance-preserving gain of any
  activation, by Gauss-Hermite quadrature;
- `mean_field`: the q- and c-maps of infinitely wide networks and their
  critical points (Poole et al. 2016; Schoenholz et al. 2017).

This is the lowest layer of the package: it imports only `keras_initact.checks`.
"""
