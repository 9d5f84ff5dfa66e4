"""12_custom_layers_and_transfer_learning: prelu_layer (MyPReLU, run by the given prelu_step)."""
from . import Variant as V

_PRELU = """
from tflearn_kit.layers import Layer


class MyPReLU(Layer):
    def build(self, input_shape):
        self.alpha = self.add_weight(shape={alpha_shape}, initializer="zeros", name="alpha")

    def call(self, inputs):
        {call}

    def backward_call(self, dy):
        x = self._cache
        dx = {dx}
        dalpha = {dalpha}
        return {ret}


def prelu_step(x, alpha, dy):
    layer = MyPReLU(dtype=x.dtype)
    layer.build(x.shape)
    layer.set_weights([alpha])
    y = layer(x)
    dx = layer.backward(dy)
    return y, dx, layer.grads[0]
"""

_CALL = "self._cache = inputs\n        return np.maximum(inputs, 0) + self.alpha * np.minimum(inputs, 0)"


def prelu(alpha_shape="(input_shape[-1],)", call=_CALL, dx="dy * np.where(x > 0, 1.0, self.alpha)",
          dalpha="(dy * np.minimum(x, 0)).reshape(-1, x.shape[-1]).sum(axis=0)", ret="dx, [dalpha]"):
    return _PRELU.format(alpha_shape=alpha_shape, call=call, dx=dx, dalpha=dalpha, ret=ret)


MUTANTS = [
    V("prelu_layer", "dalpha-not-summed", "dalpha = dy * min(x, 0), not summed over the shared axes",
      prelu(dalpha="dy * np.minimum(x, 0)")),
    V("prelu_layer", "dalpha-batch-axis-only", "dalpha summed over axis 0 only (right for (batch, channels) alone)",
      prelu(dalpha="(dy * np.minimum(x, 0)).sum(axis=0)")),
    V("prelu_layer", "dalpha-all-axes", "dalpha summed over every axis: one number",
      prelu(dalpha="(dy * np.minimum(x, 0)).sum()")),
    V("prelu_layer", "dalpha-mean", "dalpha averaged instead of summed over the shared axes",
      prelu(dalpha="(dy * np.minimum(x, 0)).reshape(-1, x.shape[-1]).mean(axis=0)")),
    V("prelu_layer", "dalpha-without-dy", "dalpha = sum of min(x, 0): the chain rule's dy forgotten",
      prelu(dalpha="np.minimum(x, 0).reshape(-1, x.shape[-1]).sum(axis=0)")),
    V("prelu_layer", "dalpha-all-of-x", "dalpha sums dy * x over positive inputs too",
      prelu(dalpha="(dy * x).reshape(-1, x.shape[-1]).sum(axis=0)")),
    V("prelu_layer", "dx-relu", "dx = dy where x > 0, else 0: ReLU's derivative, alpha forgotten",
      prelu(dx="dy * (x > 0)")),
    V("prelu_layer", "dx-without-dy", "dx = 1 or alpha, not multiplied by dy", prelu(dx="np.where(x > 0, 1.0, self.alpha)")),
    V("prelu_layer", "max-form", "y = max(x, alpha * x): leaky ReLU's shortcut, wrong once alpha > 1",
      prelu(call="self._cache = inputs\n        return np.maximum(inputs, self.alpha * inputs)")),
    V("prelu_layer", "cache-output", "caches y instead of x, so backward's x > 0 is read from the output",
      prelu(call="self._cache = np.maximum(inputs, 0) + self.alpha * np.minimum(inputs, 0)\n        return self._cache")),
    V("prelu_layer", "alpha-per-element", "alpha shaped like one example, not one per channel",
      prelu(alpha_shape="tuple(input_shape[1:])")),
    V("prelu_layer", "float32", "the output computed in float32",
      prelu(call="self._cache = inputs\n        return (np.maximum(inputs, 0) + self.alpha * np.minimum(inputs, 0))"
                 ".astype(np.float32)")),
    V("prelu_layer", "in-place", "negative inputs scaled by alpha in place",
      prelu(call="self._cache = inputs.copy()\n        np.multiply(inputs, np.where(inputs > 0, 1.0, self.alpha), "
                 "out=inputs)\n        return inputs")),
    V("prelu_layer", "grads-not-a-list", "backward_call returns (dx, dalpha), not (dx, [dalpha])",
      prelu(ret="dx, dalpha")),
]

CORRECT = [
    V("prelu_layer", "where", "np.where in both passes, dalpha summed over a tuple of axes", prelu(
        call="self._cache = inputs\n        return np.where(inputs > 0, inputs, self.alpha * inputs)",
        dx="np.where(x > 0, dy, self.alpha * dy)",
        dalpha="np.where(x > 0, 0.0, dy * x).sum(axis=tuple(range(x.ndim - 1)))")),
    V("prelu_layer", "masks-einsum", "a boolean mask and an einsum over the shared axes", prelu(
        call="self._cache = inputs\n        neg = inputs < 0\n        return inputs * ~neg + self.alpha * inputs * neg",
        dx="dy * (x >= 0) + dy * self.alpha * (x < 0)",
        dalpha="np.einsum('nc,nc->c', dy.reshape(-1, x.shape[-1]), np.minimum(x, 0).reshape(-1, x.shape[-1]))")),
    V("prelu_layer", "relu-parts", "relu(x) - alpha * relu(-x), as Keras writes it", prelu(
        call="self._cache = inputs\n        return np.maximum(inputs, 0) - self.alpha * np.maximum(-inputs, 0)",
        dx="dy * (x > 0) + self.alpha * dy * (x < 0)",
        dalpha="-(dy * np.maximum(-x, 0)).reshape(-1, x.shape[-1]).sum(axis=0)")),
]
