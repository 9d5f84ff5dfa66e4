"""Attention layers: EinsumDense, MultiHeadAttention, GroupQueryAttention, Attention, AdditiveAttention.

The arithmetic lives in ``tflearn_kit/kernels/attention.py``; these classes hold
the weights (Keras's names, shapes and order, so ``set_weights(keras_layer.get_weights())``
just works), build the masks as Keras builds them, and route the gradients.

Calling: ``mha(query, value)``, ``mha(query, value, key)`` or ``mha([query, value(, key)])``,
with ``attention_mask=``, ``use_causal_mask=``, ``return_attention_scores=``, ``training=``.
``backward(dy)`` returns ``[d_query, d_value]`` when no key was given (the key's
share added into d_value, as autodiff does when key is value), ``[d_query, d_value, d_key]``
when one was; ``layer.grads`` holds one gradient per trainable weight in
``trainable_weights`` order. With ``return_attention_scores=True`` the output is
``(output, scores)`` and ``dy`` may be ``[d_output, d_scores]``.
"""
import copy
import string

import numpy as np

from .. import activations, constraints, initializers, regularizers, seeding
from ..fast import attention as fast   # kernels/attention.py's attention, faster on many heads
from ..kernels.attention import (causal_mask, einsum_dense_backward, einsum_dense_forward,
                                 masked_softmax_backward, masked_softmax_forward)
from ..kernels.dropout import dropout_mask
from .base import Layer


# ---- EinsumDense --------------------------------------------------------------------------

def _einsum_shapes(layer, equation, bias_axes, input_shape, partial_output_shape):
    """Kernel shape, bias shape and full output shape for an einsum equation (Keras's rules).

    "abc,cde->abde" with output_shape (None, 4, 8): the kernel takes each letter's size from
    the input (c) or the output (d, e). The bias spans the output from its first bias letter
    on, with 1 on the axes not named in ``bias_axes``.
    """
    inputs, out_spec = equation.replace(" ", "").split("->")
    in_spec, k_spec = inputs.split(",")
    left_elided = in_spec.startswith("...")
    in_spec, out_spec = in_spec.replace("...", ""), out_spec.replace("...", "")
    elided = len(input_shape) - len(in_spec)
    partial = [partial_output_shape] if isinstance(partial_output_shape, int) else list(
        partial_output_shape)
    if left_elided:
        output_shape = list(input_shape[:elided]) + partial[-len(out_spec):]
        in_map = {c: elided + i for i, c in enumerate(in_spec)}
        out_map = {c: elided + i for i, c in enumerate(out_spec)}
    else:
        output_shape = [input_shape[0]] + partial
        in_map = {c: i for i, c in enumerate(in_spec)}
        out_map = {c: i for i, c in enumerate(out_spec)}
    if len(output_shape) != len(out_spec) + (elided if left_elided else 0):
        raise ValueError(f"Layer '{layer.name}' (EinsumDense): output_shape {partial_output_shape} "
                         f"does not fit the equation {equation!r} for input shape {tuple(input_shape)}.")
    for c, i in in_map.items():
        if c in out_map and output_shape[out_map[c]] is not None and \
                output_shape[out_map[c]] != input_shape[i] and input_shape[i] is not None:
            raise ValueError(f"Layer '{layer.name}' (EinsumDense): axis '{c}' has size "
                             f"{input_shape[i]} in the input but {output_shape[out_map[c]]} in "
                             "output_shape.")
        if c in out_map:
            output_shape[out_map[c]] = input_shape[i]
    kernel_shape = []
    for c in k_spec:
        if c in out_map:
            kernel_shape.append(output_shape[out_map[c]])
        elif c in in_map:
            kernel_shape.append(input_shape[in_map[c]])
        else:
            raise ValueError(f"Layer '{layer.name}' (EinsumDense): kernel axis '{c}' of {equation!r} "
                             "is in neither the input nor the output.")
    bias_shape = None
    if bias_axes:
        for c in bias_axes:
            if c not in out_spec:
                raise ValueError(f"Layer '{layer.name}' (EinsumDense): bias axis '{c}' is not an "
                                 f"output axis of {equation!r}.")
        first = min(out_spec.index(c) for c in bias_axes)
        bias_shape = [output_shape[out_map[c]] if c in bias_axes else 1 for c in out_spec[first:]]
    return tuple(kernel_shape), None if bias_shape is None else tuple(bias_shape), tuple(output_shape)


def _einsum_initializer(initializer, kernel_spec, input_spec):
    """Keras's EinsumDense rule: a variance-scaling kernel counts fan_in over the kernel axes the
    input shares and fan_out over the others, so a (d_model, heads, key_dim) projection has
    fan_in d_model and fan_out heads * key_dim (not the convolution rule for a 3-D shape)."""
    if not isinstance(initializer, initializers.VarianceScaling):
        return initializer
    in_axes = [i for i, c in enumerate(kernel_spec) if c in input_spec]
    out_axes = [i for i, c in enumerate(kernel_spec) if c not in input_spec]
    clone = copy.copy(initializer)
    clone.fans = lambda shape: (float(np.prod([shape[i] for i in in_axes])),
                                float(np.prod([shape[i] for i in out_axes])))
    return clone


class EinsumDense(Layer):
    """A dense layer written as an einsum. See tf.keras.layers.EinsumDense.

    Args:
        equation: e.g. "ab,bc->ac" (Dense), "abc,cde->abde" (a projection into heads);
            "..." on the left of the input and the output stands for leading axes.
        output_shape: the output's shape without the batch axis (None for an axis the
            input decides), or an int.
        activation: a name from ``tflearn_kit.activations``.
        bias_axes: the output letters the bias spans ("" or None: no bias).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer.

    Input shape: as the equation's first operand     Output shape: as its output
    Weights: kernel (as the second operand), bias (from the first bias letter on)
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        if quantization_config is not None:
            raise ValueError(f"EinsumDense: quantized weights are not in the kit; got "
                             f"quantization_config={quantization_config!r}.")
        if "->" not in equation or "," not in equation:
            raise ValueError(f"EinsumDense: equation must read 'input,kernel->output'; "
                             f"got {equation!r}.")
        self.equation = equation
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) else tuple(
            output_shape)
        self.activation = activations.get(activation)
        self.bias_axes = bias_axes
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        kernel_shape, bias_shape, self.full_output_shape = _einsum_shapes(
            self, self.equation, self.bias_axes, tuple(input_shape), self.partial_output_shape)
        inputs, _ = self.equation.replace(" ", "").split("->")
        x_spec, k_spec = inputs.split(",")
        self.kernel = self.add_weight(name="kernel", shape=kernel_shape,
                                      initializer=_einsum_initializer(self.kernel_initializer,
                                                                      k_spec, x_spec),
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if bias_shape is not None:
            self.bias = self.add_weight(name="bias", shape=bias_shape,
                                        initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.input_rank = len(input_shape)

    def call(self, inputs):
        if inputs.ndim != self.input_rank:
            raise ValueError(f"Layer '{self.name}' (EinsumDense) expected an input of rank "
                             f"{self.input_rank} for {self.equation!r}, but got shape {inputs.shape}.")
        z, self._cache = einsum_dense_forward(inputs, self.kernel, self.equation, self.bias)
        return self.apply_activation(z)

    def backward_call(self, dy):
        dz = self.activation_backward(dy)
        return einsum_dense_backward(dz, self._cache, None if self.bias is None else self.bias.shape)

    def compute_output_shape(self, input_shape):
        return _einsum_shapes(self, self.equation, self.bias_axes, tuple(input_shape),
                              self.partial_output_shape)[2]

    def get_config(self):
        return {
            **super().get_config(),
            "equation": self.equation,
            "output_shape": list(self.partial_output_shape),
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            **self._weight_config("kernel", "bias"),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "quantization_config": None,
        }


# ---- multi-head attention -----------------------------------------------------------------

def _projection_equation(free, bound, out):
    """'abc,cde->abde' for free=2, bound=1, out=2: keep the first letters, contract the
    bound ones with the kernel, append the kernel's output letters (also the bias letters)."""
    letters = string.ascii_lowercase
    f, b, o = letters[:free], letters[free:free + bound], letters[free + bound:free + bound + out]
    return f"{f}{b},{b}{o}->{f}{o}", o


class _MultiHeadBase(Layer):
    """What MultiHeadAttention and GroupQueryAttention share: the call, the masks, the backward."""

    supports_masking = True

    def __call__(self, query, value=None, key=None, attention_mask=None,
                 return_attention_scores=False, training=None, use_causal_mask=False,
                 query_mask=None, value_mask=None, key_mask=None, mask=None, keep_mask=None):
        if value is None:
            if not isinstance(query, (list, tuple)) or len(query) not in (2, 3):
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) expected query and value "
                    "(layer(query, value[, key]) or layer([query, value(, key)])), but got "
                    f"{'a single array' if not isinstance(query, (list, tuple)) else len(query)}.")
            inputs = list(query)
        else:
            inputs = [query, value] + ([] if key is None else [key])
        if mask is not None:       # [query_mask, value_mask(, key_mask)] from the inputs' masks
            masks = list(mask) + [None] * (3 - len(mask))
            query_mask = masks[0] if query_mask is None else query_mask
            value_mask = masks[1] if value_mask is None else value_mask
            key_mask = masks[2] if key_mask is None else key_mask
        kwargs = {k: v for k, v in dict(
            attention_mask=attention_mask, return_attention_scores=return_attention_scores,
            use_causal_mask=use_causal_mask, query_mask=query_mask, value_mask=value_mask,
            key_mask=key_mask, keep_mask=keep_mask).items() if v is not None and v is not False}
        return super().__call__(inputs, training=training, **kwargs)

    def _attention_mask(self, q, v, query_mask, value_mask, key_mask, attention_mask,
                        use_causal_mask):
        """Keras's _compute_attention_mask: (B, T, 1) & (B, 1, S) & (1, T, S) & attention_mask."""
        parts = []
        if query_mask is not None:
            parts.append(np.asarray(query_mask, bool)[..., None])
        if value_mask is not None:
            parts.append(np.asarray(value_mask, bool)[..., None, :])
        if key_mask is not None:
            parts.append(np.asarray(key_mask, bool)[..., None, :])
        if use_causal_mask:
            parts.append(causal_mask(q.shape[1], v.shape[1])[None])
        out = None
        for m in parts:
            out = m if out is None else out & m
        if attention_mask is not None:
            attention_mask = np.asarray(attention_mask, bool)
            out = attention_mask if out is None else attention_mask & out
        return out

    def compute_mask(self, inputs, mask=None):
        return self._query_mask

    def _project(self, which, x):
        kernel, bias = self._proj[which]
        return einsum_dense_forward(x, kernel, self._equations[which], bias)

    def _project_back(self, which, dy, cache):
        kernel, bias = self._proj[which]
        return einsum_dense_backward(dy, cache, None if bias is None else bias.shape)

    def _grads_in_order(self, grads):
        order = []
        for which in ("query", "key", "value", "attention_output"):
            order += grads[which][:1 + self.use_bias]
        return order

    def call(self, inputs, training=None, attention_mask=None, return_attention_scores=False,
             use_causal_mask=False, query_mask=None, value_mask=None, key_mask=None,
             keep_mask=None):
        q_in, v_in = inputs[0], inputs[1]
        key_given = len(inputs) == 3
        k_in = inputs[2] if key_given else v_in
        self._query_mask = query_mask
        mask = self._attention_mask(q_in, v_in, query_mask, value_mask, key_mask, attention_mask,
                                    use_causal_mask)
        q, q_cache = self._project("query", q_in)
        k, k_cache = self._project("key", k_in)
        v, v_cache = self._project("value", v_in)
        k, v = self._repeat_heads(k), self._repeat_heads(v)
        qh, kh, vh = self._to_heads(q), self._to_heads(k), self._to_heads(v)
        scores_shape = self._scores_shape(q, k)
        flat_mask = None
        if mask is not None:
            # Keras inserts the head axis (and any other missing one) just before the
            # query attention axes, then broadcasts
            n_attn = len(self._attention_axes)
            while mask.ndim < len(scores_shape):
                mask = np.expand_dims(mask, -2 * n_attn - 1)
            flat_mask = np.broadcast_to(mask, scores_shape).reshape(qh.shape[:-1] + (kh.shape[-2],))
        use_dropout = training and self.dropout > 0
        flat_keep = None
        if use_dropout:
            if keep_mask is None:
                keep_mask = dropout_mask(scores_shape, self.dropout, self._rng or seeding.rng())
            flat_keep = np.asarray(keep_mask, bool).reshape(qh.shape[:-1] + (kh.shape[-2],))
        # Keras zeroes a fully masked row's probabilities on its Softmax-layer path
        # (scores returned, dropout, several attention axes); its fused path does not
        zero_masked = bool(return_attention_scores or self.dropout > 0 or q.ndim != 4)
        # Keras turns 1 / sqrt(key_dim) into a float32 constant before casting it, even in
        # float64: a 1e-8 difference the kit reproduces
        scale = float(np.float32(self._scale))
        out_h, p, attn_cache = fast.scaled_dot_product_attention_forward(
            qh, kh, vh, flat_mask, scale, zero_masked=zero_masked,
            keep_mask=flat_keep, dropout=self.dropout)
        out = self._from_heads(out_h, q.shape[:-1] + (v.shape[-1],))
        y, o_cache = self._project("attention_output", out)
        self._cache = (q_cache, k_cache, v_cache, attn_cache, o_cache, key_given, q.shape, k.shape,
                       v.shape, return_attention_scores, p.shape)
        if return_attention_scores:
            return y, p.reshape(scores_shape)
        return y

    def backward_call(self, dy):
        (q_cache, k_cache, v_cache, attn_cache, o_cache, key_given, q_shape, k_shape, v_shape,
         with_scores, p_shape) = self._cache
        d_scores = None
        if with_scores and isinstance(dy, (list, tuple)):
            dy, d_scores = dy
        d_out, d_wo = self._project_back("attention_output", dy, o_cache)
        d_out_h = self._to_heads(d_out.reshape(q_shape[:-1] + (v_shape[-1],)))
        if d_scores is not None:
            dq_h, dk_h, dv_h = self._attention_backward_with_scores(
                d_out_h, attn_cache, np.reshape(d_scores, p_shape))
        else:
            dq_h, dk_h, dv_h = fast.scaled_dot_product_attention_backward(d_out_h, attn_cache)
        dq = self._from_heads(dq_h, q_shape)
        dk = self._sum_repeats(self._from_heads(dk_h, k_shape))
        dv = self._sum_repeats(self._from_heads(dv_h, v_shape))
        dq_in, d_wq = self._project_back("query", dq, q_cache)
        dk_in, d_wk = self._project_back("key", dk, k_cache)
        dv_in, d_wv = self._project_back("value", dv, v_cache)
        grads = self._grads_in_order({"query": d_wq, "key": d_wk, "value": d_wv,
                                      "attention_output": d_wo})
        dx = [dq_in, dv_in, dk_in] if key_given else [dq_in, dv_in + dk_in]
        return dx, grads

    @staticmethod
    def _attention_backward_with_scores(d_out_h, attn_cache, d_p):
        """The returned scores are p (before dropout): their gradient joins dL/dp."""
        q_scaled, k, v, p, p_used, mask, scale, keep_mask, dropout = attn_cache
        dv = np.swapaxes(p_used, -1, -2) @ d_out_h
        dp = d_out_h @ np.swapaxes(v, -1, -2)
        if keep_mask is not None:
            dp = np.where(keep_mask, dp * dp.dtype.type(1.0 / (1.0 - dropout)), dp.dtype.type(0))
        dscores = masked_softmax_backward(dp + d_p, p, mask)
        return (dscores @ k) * scale, np.swapaxes(dscores, -1, -2) @ q_scaled, dv

    # The head layout. A projected tensor is (batch, <other axes>, <attention axes>, heads, depth);
    # the kernel wants (batch, <other axes>, heads, positions, depth), the attention axes flattened
    # into one (attention over several axes is attention over their product).

    def _layout(self, rank):
        attn = list(self._attention_axes)
        batch = [i for i in range(rank - 2) if i not in attn]
        return batch + [rank - 2] + attn + [rank - 1], batch

    def _to_heads(self, x):
        perm, batch = self._layout(x.ndim)
        t = x.transpose(perm)
        lead = t.shape[:len(batch) + 1]
        return t.reshape(lead + (int(np.prod(t.shape[len(batch) + 1:-1])), t.shape[-1]))

    def _from_heads(self, x, projected_shape):
        perm, _ = self._layout(len(projected_shape))
        permuted = tuple(projected_shape[i] for i in perm)
        return x.reshape(permuted).transpose(np.argsort(perm))

    def _scores_shape(self, q, k):
        perm, batch = self._layout(q.ndim)
        attn = list(self._attention_axes)
        return (tuple(q.shape[i] for i in batch) + (q.shape[-2],)
                + tuple(q.shape[i] for i in attn) + tuple(k.shape[i] for i in attn))

    def _repeat_heads(self, x):
        return x

    def _sum_repeats(self, dx):
        return dx


class MultiHeadAttention(_MultiHeadBase):
    """Multi-head attention. See tf.keras.layers.MultiHeadAttention.

    Args:
        num_heads: number of heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (default key_dim).
        dropout: dropout rate on the attention probabilities (training only).
        use_bias: whether the four projections have biases.
        output_shape: the output's last axes (default: the query's last axis).
        attention_axes: the axes attention runs over (default: every axis but the batch,
            the heads and the features); several axes are allowed.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer.
        seed: seeds the attention dropout.

    Call: ``layer(query, value, key=None, attention_mask=None, return_attention_scores=False,
    training=None, use_causal_mask=False)``.

    Input shape: query (batch, T, dim_q), value (batch, S, dim_v), key (batch, S, dim_k)
    (or more axes between batch and features, with attention_axes).
    Output shape: (batch, T, dim_q) or (batch, T, *output_shape); scores (batch, heads, T, S).
    Weights, in this order: query/kernel (dim_q, heads, key_dim), query/bias (heads, key_dim),
    key/kernel (dim_k, heads, key_dim), key/bias, value/kernel (dim_v, heads, value_dim),
    value/bias, attention_output/kernel (heads, value_dim, dim_out), attention_output/bias (dim_out,).
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, seed=None, sliding_window=None,
                 use_gate=False, **kwargs):
        super().__init__(**kwargs)
        # Keras 3.15's newest options: a banded mask and a learned output gate.
        if sliding_window is not None or use_gate:
            raise ValueError(f"{type(self).__name__}: sliding_window and use_gate are not in the "
                             f"kit yet; got sliding_window={sliding_window!r}, use_gate={use_gate!r}.")
        for arg, val in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not isinstance(val, (int, np.integer)) or val <= 0:
                raise ValueError(f"MultiHeadAttention: {arg} must be a positive integer; got {val!r}.")
        if value_dim is not None and (not isinstance(value_dim, (int, np.integer)) or value_dim <= 0):
            raise ValueError(f"MultiHeadAttention: value_dim must be a positive integer or None; "
                             f"got {value_dim!r}.")
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        if isinstance(output_shape, int):
            output_shape = (output_shape,)
        self._output_shape = tuple(output_shape) if output_shape else None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        self.attention_axes = tuple(attention_axes) if attention_axes is not None else None
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._rng = seeding.rng(seed) if seed is not None else None
        self._query_mask = None

    def _heads_of(self, which):
        return self.num_heads

    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) not in (2, 3):
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) expected the shapes of "
                             f"[query, value] or [query, value, key], but got {input_shape!r}.")
        q_shape, v_shape = tuple(input_shape[0]), tuple(input_shape[1])
        k_shape = tuple(input_shape[2]) if len(input_shape) == 3 else v_shape
        if v_shape[1:-1] != k_shape[1:-1]:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}): value and key must agree "
                             f"on every axis but the last; got value {v_shape} and key {k_shape}.")
        if len(q_shape) < 3:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) expected a query of rank "
                             f">= 3 (batch, positions, features), but got shape {q_shape}.")
        rank = len(q_shape) + 1          # a projected tensor has a heads axis too
        axes = self.attention_axes if self.attention_axes is not None else tuple(range(1, rank - 2))
        self._attention_axes = tuple(a if a >= 0 else rank - 1 + a for a in axes)
        self._scale = 1.0 / np.sqrt(float(self.key_dim))
        out_dims = self._output_shape or (q_shape[-1],)
        specs = {
            "query": (len(q_shape) - 1, 1, (q_shape[-1], self.num_heads, self.key_dim)),
            "key": (len(k_shape) - 1, 1, (k_shape[-1], self._heads_of("key"), self.key_dim)),
            "value": (len(v_shape) - 1, 1, (v_shape[-1], self._heads_of("value"), self.value_dim)),
            "attention_output": (len(q_shape) - 1, 2, (self.num_heads, self.value_dim) + out_dims),
        }
        self._equations, self._proj = {}, {}
        for which, (free, bound, kernel_shape) in specs.items():
            equation, bias_letters = _projection_equation(free, bound, len(kernel_shape) - bound)
            self._equations[which] = equation
            x_spec, k_spec = equation.split("->")[0].split(",")
            kernel = self.add_weight(name=f"{which}/kernel", shape=kernel_shape,
                                     initializer=_einsum_initializer(self.kernel_initializer,
                                                                     k_spec, x_spec),
                                     regularizer=self.kernel_regularizer,
                                     constraint=self.kernel_constraint)
            bias = None
            if self.use_bias:
                bias = self.add_weight(name=f"{which}/bias", shape=kernel_shape[bound:],
                                       initializer=self.bias_initializer,
                                       regularizer=self.bias_regularizer,
                                       constraint=self.bias_constraint)
            self._proj[which] = (kernel, bias)

    def compute_output_shape(self, input_shape):
        q_shape = tuple(input_shape[0])
        if self._output_shape:
            return q_shape[:-1] + self._output_shape
        return q_shape

    def _shared_config(self):
        """The keys MultiHeadAttention and GroupQueryAttention both have, as Keras names them."""
        return {
            **Layer.get_config(self),
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            **self._weight_config("kernel", "bias"),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "seed": self.seed,
            "sliding_window": None,
            "use_gate": False,
        }

    def get_config(self):
        return {
            **self._shared_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "output_shape": self._output_shape,
            "attention_axes": self.attention_axes,
        }


class GroupQueryAttention(MultiHeadAttention):
    """Grouped-query attention: fewer key/value heads than query heads, each shared by a group.

    See tf.keras.layers.GroupQueryAttention. Key and value are projected into
    ``num_key_value_heads`` heads and repeated ``num_query_heads // num_key_value_heads``
    times; backward adds the repeats' gradients back together.

    Args: head_dim, num_query_heads, num_key_value_heads, dropout, use_bias, initializers,
    regularizers, seed. Input shape: query (batch, T, dim), value/key (batch, S, dim).
    Weights: query/kernel (dim, num_query_heads, head_dim), key/kernel and value/kernel
    (dim, num_key_value_heads, head_dim), attention_output/kernel (num_query_heads, head_dim, dim),
    and their biases.
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, seed=None, **kwargs):
        if int(num_key_value_heads) <= 0 or int(num_query_heads) % int(num_key_value_heads):
            raise ValueError(f"GroupQueryAttention: num_query_heads ({num_query_heads}) must be a "
                             f"multiple of num_key_value_heads ({num_key_value_heads}).")
        super().__init__(num_heads=num_query_heads, key_dim=head_dim, dropout=dropout,
                         use_bias=use_bias, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                         bias_constraint=bias_constraint, seed=seed, **kwargs)
        self.head_dim = int(head_dim)
        self.num_query_heads = int(num_query_heads)
        self.num_key_value_heads = int(num_key_value_heads)
        self.num_repeats = self.num_query_heads // self.num_key_value_heads

    def _heads_of(self, which):
        return self.num_key_value_heads

    def build(self, input_shape):
        if isinstance(input_shape, list) and len(input_shape[0]) != 3:
            raise ValueError(f"Layer '{self.name}' (GroupQueryAttention) expected a query of shape "
                             f"(batch, T, dim), but got {tuple(input_shape[0])}.")
        super().build(input_shape)

    def _repeat_heads(self, x):
        return np.repeat(x, self.num_repeats, axis=-2)

    def _sum_repeats(self, dx):
        # head h of the repeated tensor is key/value head h // num_repeats
        return dx.reshape(dx.shape[:-2] + (self.num_key_value_heads, self.num_repeats,
                                           dx.shape[-1])).sum(axis=-2)

    def get_config(self):
        return {
            **self._shared_config(),
            "head_dim": self.head_dim,
            "num_query_heads": self.num_query_heads,
            "num_key_value_heads": self.num_key_value_heads,
        }


# ---- Luong (dot) and Bahdanau (additive) attention -------------------------------------------

class Attention(Layer):
    """Dot-product (Luong) attention without projections. See tf.keras.layers.Attention.

    Args:
        use_scale: learn a scalar ``scale`` multiplying the scores.
        score_mode: "dot" (q @ k^T) or "concat" (sum(tanh(q + k)) times ``concat_score_weight``).
        dropout: dropout rate on the attention distribution (training only).
        seed: seeds that dropout.

    Call: ``layer([query, value])`` or ``layer([query, value, key])``, with
    ``mask=[query_mask, value_mask]``, ``use_causal_mask``, ``return_attention_scores``.
    Input shape: query (batch, Tq, dim), value (batch, Tv, dim_v), key (batch, Tv, dim).
    Output shape: (batch, Tq, dim_v); scores (batch, Tq, Tv).
    Weights: scale () when use_scale, concat_score_weight () for score_mode="concat".
    Unlike MultiHeadAttention, a masked score is lowered by 1e9 (not replaced) and there is
    no 1 / sqrt(dim).
    """

    supports_masking = True

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"{type(self).__name__}: score_mode must be 'dot' or 'concat'; "
                             f"got {score_mode!r}.")
        self.use_scale, self.score_mode = bool(use_scale), score_mode
        self.dropout, self.seed = float(dropout), seed
        self._rng = seeding.rng(seed) if seed is not None else None

    def _check_inputs(self, shapes):
        if not isinstance(shapes, list) or len(shapes) not in (2, 3):
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) expected a list "
                             f"[query, value] or [query, value, key], but got {shapes!r}.")

    def build(self, input_shape):
        self._check_inputs(input_shape)
        self.scale = self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(),
                                                       initializer="ones")

    def __call__(self, inputs, training=None, mask=None, return_attention_scores=False,
                 use_causal_mask=False, keep_mask=None):
        if not isinstance(inputs, (list, tuple)) or len(inputs) not in (2, 3):
            got = (f"a single array of shape {np.shape(inputs)}" if not isinstance(inputs, (list, tuple))
                   else f"a list of {len(inputs)}")
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) expected a list "
                             f"[query, value] or [query, value, key], but got {got}.")
        kwargs = {k: v for k, v in dict(return_attention_scores=return_attention_scores,
                                        use_causal_mask=use_causal_mask,
                                        keep_mask=keep_mask).items() if v is not None and v is not False}
        return super().__call__(list(inputs), training=training, mask=mask, **kwargs)

    # scores and their backward: what AdditiveAttention replaces
    def _scores(self, q, k):
        if self.score_mode == "dot":
            raw = q @ np.swapaxes(k, -1, -2)
            scores = raw * self.scale if self.scale is not None else raw
            return scores, raw
        t = np.tanh(q[..., :, None, :] + k[..., None, :, :]
                    if self.scale is None else self.scale * (q[..., :, None, :] + k[..., None, :, :]))
        s = t.sum(-1)
        return self.concat_score_weight * s, (t, s)

    def _scores_backward(self, ds, q, k, saved):
        grads = []
        if self.score_mode == "dot":
            raw = saved
            s = self.scale if self.scale is not None else 1
            dq = (ds * s) @ k
            dk = np.swapaxes(ds * s, -1, -2) @ q
            if self.scale is not None:
                # one number from every score: its terms cancel, so add them in float64
                grads.append(np.sum(ds * raw, dtype=np.float64).astype(ds.dtype).reshape(()))
            return dq, dk, grads
        t, s = saved
        dt = (ds * self.concat_score_weight)[..., None] * (1 - t * t)
        if self.scale is not None:
            summed = q[..., :, None, :] + k[..., None, :, :]
            grads.append(np.sum(dt * summed).reshape(()))
            dt = dt * self.scale
        grads.append(np.sum(ds * s).reshape(()))
        return dt.sum(-2), dt.sum(-3), grads

    def call(self, inputs, training=None, mask=None, return_attention_scores=False,
             use_causal_mask=False, keep_mask=None):
        q, v = inputs[0], inputs[1]
        key_given = len(inputs) == 3
        k = inputs[2] if key_given else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        scores, saved = self._scores(q, k)
        score_mask = None if v_mask is None else np.asarray(v_mask, bool)[..., None, :]
        if use_causal_mask:
            c = causal_mask(scores.shape[-2], scores.shape[-1])[None]
            score_mask = c if score_mask is None else score_mask & c
        p, full_mask = masked_softmax_forward(scores, score_mask, fill="subtract")
        p_used = p
        if training and self.dropout > 0:
            if keep_mask is None:
                keep_mask = dropout_mask(p.shape, self.dropout, self._rng or seeding.rng())
            p_used = np.where(keep_mask, p * p.dtype.type(1 / (1 - self.dropout)), p.dtype.type(0))
        else:
            keep_mask = None
        out = p_used @ v
        if q_mask is not None:
            out = np.where(np.asarray(q_mask, bool)[..., None], out, out.dtype.type(0))
        self._cache = (q, k, v, saved, p, p_used, keep_mask, q_mask, key_given,
                       return_attention_scores)
        self._out_mask = None if q_mask is None else np.asarray(q_mask, bool)
        return (out, p) if return_attention_scores else out

    def backward_call(self, dy):
        q, k, v, saved, p, p_used, keep_mask, q_mask, key_given, with_scores = self._cache
        d_p_extra = None
        if with_scores and isinstance(dy, (list, tuple)):
            dy, d_p_extra = dy
        if q_mask is not None:
            dy = np.where(np.asarray(q_mask, bool)[..., None], dy, dy.dtype.type(0))
        dv = np.swapaxes(p_used, -1, -2) @ dy
        dp = dy @ np.swapaxes(v, -1, -2)
        if keep_mask is not None:
            dp = np.where(keep_mask, dp * dp.dtype.type(1 / (1 - self.dropout)), dp.dtype.type(0))
        if d_p_extra is not None:
            dp = dp + d_p_extra
        # masked scores were lowered, not replaced: their gradient flows on, times p (~0)
        ds = masked_softmax_backward(dp, p)
        dq, dk, grads = self._scores_backward(ds, q, k, saved)
        dx = [dq, dv, dk] if key_given else [dq, dv + dk]
        return dx, grads

    def compute_mask(self, inputs, mask=None):
        return None if not mask or mask[0] is None else np.asarray(mask[0], bool)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0][:-1]) + (input_shape[1][-1],)

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}


class AdditiveAttention(Attention):
    """Additive (Bahdanau) attention: scores = sum(scale * tanh(q + k)). See tf.keras.layers.AdditiveAttention.

    Args: use_scale (default True: a learned ``scale`` of shape (dim,)), dropout, seed.
    Call, inputs, masks and outputs as :class:`Attention`.
    """

    def __init__(self, use_scale=True, dropout=0.0, seed=None, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)

    def build(self, input_shape):
        self._check_inputs(input_shape)
        self.scale = None
        self.concat_score_weight = None
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(input_shape[0][-1],),
                                         initializer="glorot_uniform")

    def _scores(self, q, k):
        t = np.tanh(q[..., :, None, :] + k[..., None, :, :])    # (batch, Tq, Tv, dim)
        scale = self.scale if self.scale is not None else t.dtype.type(1)
        return np.sum(scale * t, axis=-1), t

    def _scores_backward(self, ds, q, k, t):
        scale = self.scale if self.scale is not None else t.dtype.type(1)
        grads = []
        if self.scale is not None:
            grads.append((ds[..., None] * t).reshape(-1, t.shape[-1]).sum(axis=0))
        dt = ds[..., None] * scale * (1 - t * t)
        return dt.sum(-2), dt.sum(-3), grads

    def get_config(self):
        config = super().get_config()
        config.pop("score_mode")
        return config
