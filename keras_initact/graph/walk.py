"""The walk: a model's graph run on signals (and, with data, on tensors).

It visits every node as Keras's own functional call does, nested
functional and Sequential models included, and at each one asks the
estimator table for the output's signal, then, with data, computes the
real output with the weights just set. A layer without an estimator is
measured on the data, or else taken as the identity with a warning.
"""

import dataclasses
import warnings

import keras

from keras_initact import keras_adapter
from keras_initact.graph.call import Flow, LayerCall
from keras_initact.graph.correlation import (
    activated_correlation, linear_correlation, passed_correlation,
    position_correlation,
)
from keras_initact.graph.elementwise import activation_signal
from keras_initact.graph.estimators import ESTIMATORS
from keras_initact.graph.report import LayerMoments
from keras_initact.graph.signal import Signal, mean_square
from keras_initact.seeding import derive_seed


class UnknownLayerWarning(UserWarning):
    """`initialize` met a layer without an estimator and without data to
    measure it on, and took it as the identity."""


@dataclasses.dataclass(eq=False)
class Walk:
    """One walk through a model. `initializing`: set kernels (each layer's
    at its first call only); `training`: predict the training-mode pass;
    `calibrated`: with data, give each layer the measured moments (and
    positions' correlation) of its inputs rather than the predicted ones,
    so that every kernel is set from what it really receives."""

    initializing: bool
    training: bool = True
    seed: int = None
    target: float = 1.0
    fixed: dict = dataclasses.field(default_factory=dict)
    calibrated: bool = False
    rows: list = dataclasses.field(default_factory=list)
    _calls: dict = dataclasses.field(default_factory=dict)
    _measured: dict = dataclasses.field(default_factory=dict)

    def run(self, model, flows, path=""):
        """The output flows of `model` (functional or Sequential) on
        `flows`, one per model input."""
        graph = keras_adapter.functional_graph(model)
        values = {id(t): flow for t, flow in zip(graph.inputs, flows)}
        for node in graph.nodes:
            args, kwargs = node.arguments(values)
            outputs = self.node(node.operation, args, kwargs, node.outputs,
                                path)
            for tensor, flow in zip(node.outputs, outputs):
                values[id(tensor)] = flow
        return [values[id(t)] for t in graph.outputs]

    def node(self, operation, args, kwargs, output_tensors, path):
        name = f"{path}{operation.name}"
        count = self._calls.get(id(operation), 0) + 1
        self._calls[id(operation)] = count
        if count > 1:
            name += f"#{count}"
        if isinstance(operation, keras.Model) and \
                keras_adapter.functional_graph(operation) is not None:
            inner = keras.tree.flatten(args[0] if args else list(kwargs.values()))
            return self.run(operation, inner, f"{name}/")
        estimator = ESTIMATORS.find(operation)
        if self.calibrated:
            args, kwargs = self._calibrate(args), self._calibrate(kwargs)
        if estimator is not None and not estimator.reads_borders:
            args, kwargs = _materialized(args), _materialized(kwargs)
        call = LayerCall(
            operation, args, kwargs, training=self.training,
            initializing=self.initializing and count == 1,
            target=self.target, fixed=self.fixed,
            seed=None if self.seed is None else derive_seed(
                self.seed, len(self.rows)))
        predicted = None if estimator is None else estimator.function(call)
        tensors, preactivation = self._compute(operation, args, kwargs)
        activation = _fused_activation(operation)
        method = "estimated"
        if predicted is not None and activation is not None:
            shape = output_tensors[0].shape
            row_signal = predicted
            predicted = activation_signal(activation, predicted,
                                          shape[-1] if shape else None)
            if predicted is None:
                predicted = self._unknown(name, operation, tensors,
                                          row_signal)[0]
                method = "measured" if tensors is not None else "identity"
        else:
            row_signal = predicted
        if predicted is None:
            method = "measured" if tensors is not None else "identity"
            predicted = self._unknown(name, operation, tensors,
                                      _first_signal(args))
            row_signal = predicted[0]
        outputs = predicted if isinstance(predicted, (list, tuple)) \
            else [predicted]
        if len(outputs) < len(output_tensors):
            outputs = list(outputs) + [outputs[-1]] * (
                len(output_tensors) - len(outputs))
        measured = preactivation if preactivation is not None else (
            tensors[0] if tensors is not None else None)
        self._row(name, operation, method, row_signal, measured, call)
        correlation = call.output_correlation
        inputs = [v for v in keras.tree.flatten(args) if isinstance(v, Flow)]
        if correlation is None and call.scales and inputs:
            correlation = linear_correlation(inputs[0].signal,
                                             inputs[0].correlation)
        elif correlation is None:
            correlation = passed_correlation(inputs)
        if activation is not None and isinstance(row_signal, Signal):
            correlation = activated_correlation(activation, row_signal,
                                                correlation)
        return [Flow(signal, tuple(tensor.shape),
                     None if tensors is None else value, correlation)
                for signal, tensor, value in zip(
                    outputs, output_tensors,
                    tensors if tensors is not None
                    else [None] * len(output_tensors))]

    def _calibrate(self, structure):
        """Each flow with a tensor as its measured Gaussian, one signal per
        tensor (so that `x * f(x)` stays one source)."""
        def measured(flow):
            if not isinstance(flow, Flow) or flow.tensor is None or \
                    flow.signal.borders is not None:
                return flow
            if id(flow) not in self._measured:
                self._measured[id(flow)] = (flow, Flow(
                    Signal.of_moments(*mean_square(flow.tensor)), flow.shape,
                    flow.tensor, position_correlation(flow.tensor)))
            return self._measured[id(flow)][1]

        return keras.tree.map_structure(measured, structure)

    def _unknown(self, name, operation, tensors, fallback):
        if tensors is not None:
            return [Signal.of_moments(*mean_square(t)) for t in tensors]
        warnings.warn(
            f"initialize: no estimator for layer {name!r} "
            f"({type(operation).__name__}); it is taken as the identity"
            + (", and the weights inside it are left as they are"
               if getattr(operation, "weights", None) else "")
            + ". Register one with keras_initact.register_estimator, or "
            "pass `x` to measure it.", UnknownLayerWarning, stacklevel=4)
        return [fallback if isinstance(fallback, Signal)
                else Signal.gaussian(0.0, 1.0)]

    def _compute(self, operation, args, kwargs):
        """The real outputs (a list) and, for a kernel layer with a fused
        activation, its pre-activation output; `(None, None)` without
        data."""
        if not _have_tensors(args) or not _have_tensors(kwargs, empty=True):
            return None, None
        real_args = keras.tree.map_structure(_tensor, args)
        real_kwargs = keras.tree.map_structure(_tensor, kwargs)
        if isinstance(operation, keras.layers.Layer) and \
                "training" not in real_kwargs:
            real_kwargs["training"] = self.training
        activation = _fused_activation(operation)
        if activation is None:
            return keras.tree.flatten(operation(*real_args, **real_kwargs)), \
                None
        operation.activation = keras.activations.linear
        try:
            preactivation = operation(*real_args, **real_kwargs)
        finally:
            operation.activation = activation
        return [activation(preactivation)], preactivation

    def _row(self, name, operation, method, signal, measured, call):
        mean, second = (None, None) if measured is None \
            else mean_square(measured)
        if isinstance(signal, (list, tuple)):
            signal = signal[0]
        self.rows.append(LayerMoments(
            name, type(operation).__name__, method, signal.mean,
            signal.second, mean, second, tuple(call.scales)))


def input_flows(model, x=None, moments=(0.0, 1.0)):
    """One flow per model input: Gaussian with `moments` (mean, second),
    or with `x`'s own moments and `x` itself."""
    graph = keras_adapter.functional_graph(model)
    if x is None:
        return [Flow(Signal.of_moments(*moments), tuple(t.shape))
                for t in graph.inputs]
    arrays = keras.tree.flatten(x)
    if len(arrays) != len(graph.inputs):
        raise ValueError(
            f"initialize: `x` must hold one array per model input "
            f"({len(graph.inputs)}); received {len(arrays)}.")
    flows = []
    for tensor, array in zip(graph.inputs, arrays):
        value = keras.ops.convert_to_tensor(array)
        if keras.backend.is_float_dtype(value.dtype):
            signal = Signal.of_moments(*mean_square(value))
        else:
            signal = Signal.of_moments(*moments)
        flows.append(Flow(signal, tuple(tensor.shape), value))
    return flows


def _fused_activation(operation):
    """A kernel layer's own activation when it is not linear, else None."""
    activation = getattr(operation, "activation", None)
    if activation is None or not callable(activation) or \
            isinstance(operation, keras.layers.Activation):
        return None
    if activation is keras.activations.linear or getattr(
            activation, "__name__", "") == "linear":
        return None
    return activation


def _materialized(structure):
    return keras.tree.map_structure(
        lambda v: dataclasses.replace(v, signal=v.signal.materialized())
        if isinstance(v, Flow) else v, structure)


def _tensor(value):
    return value.tensor if isinstance(value, Flow) else value


def _have_tensors(structure, empty=False):
    flows = [v for v in keras.tree.flatten(structure) if isinstance(v, Flow)]
    if not flows:
        return empty
    return all(flow.tensor is not None for flow in flows)


def _first_signal(args):
    for value in keras.tree.flatten(args):
        if isinstance(value, Flow):
            return value.signal
    return None

