"""Residual branches found in a model's graph, for Fixup and DeepNorm.

A residual merge is an `Add` (the layer or `keras.ops.add`) one of whose
inputs, the skip, passes through fewer kernel stages since the two paths
forked than each other input, the branches; or a `DeepNormResidual`,
whose first input is the skip by definition. A branch is every node
between the fork (the nearest tensor both paths come from) and the merge.

A kernel stage is one kernel on the signal's path, in the order the signal
meets them (`signal_kernels`): a `Dense`'s or `Conv`'s kernel, a
`SeparableConv`'s pointwise kernel (its depthwise kernel only spreads the
channels), a `MultiHeadAttention`'s value then output projection (query
and key only weight the average).
"""

import dataclasses

import keras

from keras_initact import keras_adapter
from keras_initact.layers import DeepNormResidual


@dataclasses.dataclass(frozen=True, eq=False)
class ResidualBranch:
    """One branch of a residual merge.

    Attributes:
        merge: the merging layer's path (`"block_3_add"`).
        merge_class: its class (`keras.layers.Add`, `DeepNormResidual`).
        stages: the branch's kernel stages (variables) in signal order.
        last: the stages whose output reaches the merge through no other
            kernel.
        layers: the branch's layers (and ops), in graph order.
        path: their paths.
    """

    merge: str
    merge_class: type
    stages: tuple
    last: tuple
    layers: tuple
    path: tuple

    @property
    def depth(self):
        """Fixup's `m`: the number of kernel stages in the branch."""
        return len(self.stages)


@dataclasses.dataclass(frozen=True, eq=False)
class ResidualStructure:
    """A model's residual branches (nested models included), and its
    classifier: the stages whose output reaches a model output through no
    other kernel."""

    branches: tuple
    classifier: tuple

    def merged_by(self, merge_class):
        """The branches whose merge is a `merge_class`."""
        return tuple(b for b in self.branches
                     if issubclass(b.merge_class, merge_class))


def signal_kernels(layer):
    """The kernel stages of `layer` on the signal's path, in order."""
    if isinstance(layer, keras.layers.MultiHeadAttention):
        _, _, value_dense, output_dense = \
            keras_adapter.attention_projections(layer)
        return (value_dense.kernel, output_dense.kernel)
    for name in ("pointwise_kernel", "kernel", "depthwise_kernel",
                 "embeddings"):
        variable = getattr(layer, name, None)
        if isinstance(variable, keras.Variable):
            return (variable,)
    return ()


def residual_structure(model):
    """The `ResidualStructure` of a built functional or Sequential model."""
    branches = []
    classifier = _Finder(model, "").scan(branches)
    return ResidualStructure(tuple(branches), classifier)


class _Finder:
    """One functional graph's residual merges (and its nested models')."""

    def __init__(self, model, path):
        self.graph = keras_adapter.functional_graph(model)
        self.path = path
        self.producer = {}
        self.order = {}
        for index, node in enumerate(self.graph.nodes):
            for tensor in node.outputs:
                self.producer[id(tensor)] = node
                self.order[id(tensor)] = index
        self._ancestors = {}

    def scan(self, branches):
        for node in self.graph.nodes:
            operation = node.operation
            if isinstance(operation, keras.Model) and \
                    keras_adapter.functional_graph(operation) is not None:
                _Finder(operation, f"{self.path}{operation.name}/").scan(
                    branches)
                continue
            inputs = [t for t in node.inputs]
            if len(inputs) < 2:
                continue
            if isinstance(operation, DeepNormResidual):
                found = self._merge(node, skip=0)
            elif _is_add(operation):
                found = self._merge(node, skip=None)
            else:
                continue
            branches.extend(found)
        return tuple(stage for tensor in self.graph.outputs
                     for stage in self._last_stages(tensor, stop=None))

    def _merge(self, node, skip):
        inputs = list(node.inputs)
        common = set.intersection(*(self.ancestors(t) for t in inputs))
        if not common:
            return []
        fork = max(common, key=lambda t: self.order.get(t, -1))
        paths = [self._between(fork, t) for t in inputs]
        stages = [tuple(s for n in p for s in signal_kernels(n.operation))
                  for p in paths]
        if skip is None:
            fewest = min(len(s) for s in stages)
            skips = [i for i, s in enumerate(stages) if len(s) == fewest]
            if len(skips) != 1:
                return []
            skip = skips[0]
        name = f"{self.path}{node.operation.name}"
        return [ResidualBranch(
                    name, type(node.operation), stages[i],
                    self._last_stages(inputs[i], fork),
                    tuple(n.operation for n in paths[i]),
                    tuple(f"{self.path}{n.operation.name}" for n in paths[i]))
                for i in range(len(inputs))
                if i != skip and stages[i]]

    def ancestors(self, tensor):
        """Ids of `tensor` and every tensor it is computed from."""
        key = id(tensor)
        if key not in self._ancestors:
            found = {key}
            node = self.producer.get(key)
            for parent in (node.inputs if node is not None else ()):
                found |= self.ancestors(parent)
            self._ancestors[key] = found
        return self._ancestors[key]

    def _between(self, fork, tensor):
        """The nodes after `fork` that `tensor` is computed through."""
        wanted = self.ancestors(tensor)
        return [node for node in self.graph.nodes
                if any(id(t) in wanted and id(t) != fork
                       and fork in self.ancestors(t) for t in node.outputs)]

    def _last_stages(self, tensor, stop):
        """The last kernel stages on each path from `stop` to `tensor`."""
        found, seen, frontier = [], set(), [tensor]
        while frontier:
            current = frontier.pop()
            if id(current) in seen or id(current) == stop:
                continue
            seen.add(id(current))
            node = self.producer.get(id(current))
            if node is None:
                continue
            kernels = signal_kernels(node.operation)
            if kernels:
                found.append(kernels[-1])
            else:
                frontier.extend(node.inputs)
        return tuple(found)


def _is_add(operation):
    return isinstance(operation, keras.layers.Add) or (
        keras_adapter.is_elementwise_op(operation)
        and type(operation).__name__ == "Add")
