"""DKS's and TAT's transformed unit, an affine map on an activation's input
and output (`keras_initact.layers.ShapedActivation`)."""


def shaped_unit(x, activation, input_scale=1.0, input_shift=0.0,
                output_shift=0.0, output_scale=1.0):
    """`output_scale * (activation(input_scale * x + input_shift) + output_shift)`,
    for tensors or arrays: DKS's and TAT's transformed unit (the one place
    this formula is written)."""
    return output_scale * (activation(input_scale * x + input_shift)
                           + output_shift)
