"""Twins of the attention family.

tf.compat.v1.layers never had attention. TF1-era code wrote it by hand in a graph:

    scores = tf.matmul(q, k, transpose_b=True) / tf.sqrt(d)
    scores += (1.0 - mask) * -1e9
    out = tf.matmul(tf.nn.softmax(scores), v)

:func:`tf1_scaled_dot_product_attention` builds exactly that in a ``tf.Graph`` and runs it
in a ``tf.compat.v1.Session``; the MultiHeadAttention twin for ``compare`` wraps the same
graph in the four projections (``tf.einsum`` with variables named as Keras names them).
:func:`keras_attention_run` runs a tf.keras attention layer with a GradientTape on any call
signature (``mha(query, value, key=..., attention_mask=...)``, ``att([q, v], mask=[...])``).
"""
import numpy as np

from .registry import Case, register
from .runners import as_list
from .tf import modules


def _flatten(args):
    flat = []
    for a in args:
        flat += list(a) if isinstance(a, (list, tuple)) else [a]
    return flat


def keras_attention_run(keras_layer, args, kwargs, seed=0):
    """Forward and backward through a built tf.keras layer, called as ``layer(*args, **kwargs)``.

    Array arguments may be lists (Attention's [query, value, key]). Masks in ``kwargs`` are
    passed as constants. Returns (outputs, input gradients in the order of the flattened
    args, weight gradients in trainable_weights order, dy), all NumPy; dy is a seeded
    standard normal per output.
    """
    tf, _, _ = modules()
    tensors = [tf.constant(a) for a in _flatten(args)]
    it = iter(tensors)
    call_args = [[next(it) for _ in a] if isinstance(a, (list, tuple)) else next(it) for a in args]

    def const(value):
        if isinstance(value, np.ndarray):
            return tf.constant(value)
        if isinstance(value, list):
            return [None if v is None else tf.constant(v) for v in value]
        return value

    call_kwargs = {k: const(v) for k, v in kwargs.items()}
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        outputs = keras_layer(*call_args, **call_kwargs)
    outputs = as_list(outputs)
    g = np.random.default_rng(seed + 1)
    dy = [g.standard_normal(o.shape).astype(o.dtype.name) for o in outputs]
    variables = list(keras_layer.trainable_weights)
    grads = tape.gradient(outputs, tensors + variables,
                          output_gradients=[tf.constant(d) for d in dy])
    grads = [np.zeros(t.shape, t.dtype.name) if gr is None else np.asarray(tf.convert_to_tensor(gr))
             for t, gr in zip(tensors + variables, grads)]
    return ([np.asarray(o) for o in outputs], grads[:len(tensors)], grads[len(tensors):], dy)


def _tf1_attention(tf, q, k, v, mask, scale):
    """The TF1-era graph: matmul, scale, add -1e9 where masked, softmax, matmul."""
    scores = tf.matmul(q, k, transpose_b=True) * tf.constant(scale, q.dtype)
    if mask is not None:
        scores += (1.0 - tf.cast(mask, q.dtype)) * tf.constant(-1e9, q.dtype)
    p = tf.nn.softmax(scores, axis=-1)
    return tf.matmul(p, v), p


def tf1_scaled_dot_product_attention(q, k, v, mask, dy, scale=None):
    """Scaled dot-product attention in a TF1 graph + Session: {output, p, dq, dk, dv}.

    q: (batch..., Tq, d)   k: (batch..., Tk, d)   v: (batch..., Tk, dv)
    mask: bool broadcastable to (batch..., Tq, Tk), True = may attend, or None
    dy: dL/d(output), fed as grad_ys to tf.compat.v1.gradients.
    """
    tf, _, _ = modules()
    v1 = tf.compat.v1
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    with tf.Graph().as_default() as graph:
        phs = [v1.placeholder(tf.as_dtype(a.dtype), shape=a.shape) for a in (q, k, v)]
        mask_ph = None if mask is None else v1.placeholder(tf.bool, shape=np.shape(mask))
        out, p = _tf1_attention(tf, *phs, mask_ph, scale)
        dy_ph = v1.placeholder(out.dtype, shape=dy.shape)
        grads = v1.gradients(out, phs, grad_ys=dy_ph)
        feed = {**dict(zip(phs, (q, k, v))), dy_ph: dy}
        if mask is not None:
            feed[mask_ph] = mask
        with v1.Session(graph=graph) as sess:
            out_v, p_v, dq, dk, dv = sess.run([out, p] + grads, feed)
    return {"output": out_v, "p": p_v, "dq": dq, "dk": dk, "dv": dv}


# ---- compare: the registered twins -------------------------------------------------------------

def _mha_keras_call(keras_layer, xs, training):
    return keras_layer(*xs, training=training)


def _mha_tf1(layer, xs, training, init):
    """MultiHeadAttention as TF1 code wrote it: einsum projections, the graph above, a projection out."""
    tf, _, _ = modules()
    v1 = tf.compat.v1
    q_in, v_in = xs[0], xs[1]
    k_in = xs[2] if len(xs) == 3 else v_in

    def project(which, x):
        kernel = v1.get_variable(f"{which}/kernel", initializer=init(f"{which}/kernel"),
                                 shape=layer._proj[which][0].shape, dtype=x.dtype)
        y = tf.einsum(layer._equations[which], x, kernel)
        if layer.use_bias:
            y += v1.get_variable(f"{which}/bias", initializer=init(f"{which}/bias"),
                                 shape=layer._proj[which][1].shape, dtype=x.dtype)
        return y

    with v1.variable_scope(layer.name):
        q = tf.transpose(project("query", q_in), [0, 2, 1, 3])     # (batch, heads, T, key_dim)
        k = tf.transpose(project("key", k_in), [0, 2, 1, 3])
        v = tf.transpose(project("value", v_in), [0, 2, 1, 3])
        # Keras (and so the kit) rounds 1 / sqrt(key_dim) to float32 even in float64; the
        # twin takes the same number so the comparison measures the graph, not that constant
        scale = float(np.float32(1.0 / np.sqrt(layer.key_dim)))
        out, _ = _tf1_attention(tf, q, k, v, None, scale)
        return project("attention_output", tf.transpose(out, [0, 2, 1, 3]))


def _position_keras(layer):
    """keras.layers.Embedding looked up at positions 0..T-1: Keras core has no position layer."""
    _, keras, _ = modules()
    import keras.ops as ops

    class PositionsThroughEmbedding(keras.layers.Layer):
        def __init__(self, dtype):
            super().__init__(dtype=dtype)

        def build(self, input_shape):
            self.table = keras.layers.Embedding(layer.sequence_length, input_shape[-1],
                                                dtype=self.dtype_policy)
            self.table.build((None,))

        def call(self, x):
            t = ops.shape(x)[-2]
            return ops.broadcast_to(self.table(ops.arange(t)), ops.shape(x))

    return PositionsThroughEmbedding(layer.dtype)


_NO_TF1 = ("tf.matmul + tf.nn.softmax written by hand in a graph (no tf.layers attention); "
           "see tf1_scaled_dot_product_attention")

register("MultiHeadAttention", tf1=_mha_tf1, keras_call=_mha_keras_call, zero_gradients=("key/bias",),
         tf1_name="tf.einsum projections + tf.matmul + tf.nn.softmax in a graph (no TF1 layer)",
         cases=[Case("self-2heads", {"num_heads": 2, "key_dim": 3}, [(2, 4, 6), (2, 4, 6)]),
                Case("cross-key-given", {"num_heads": 2, "key_dim": 3, "value_dim": 2},
                     [(2, 5, 6), (2, 3, 4), (2, 3, 5)]),
                Case("4heads-nobias", {"num_heads": 4, "key_dim": 2, "use_bias": False},
                     [(1, 3, 8), (1, 3, 8)])])
register("GroupQueryAttention", keras_call=_mha_keras_call, zero_gradients=("key/bias",),
         tf1_note="tf.repeat of the key/value heads + tf.matmul + tf.nn.softmax (no TF1 layer)",
         cases=[Case("q4-kv2", {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2},
                     [(2, 4, 6), (2, 5, 6)])])
register("EinsumDense", tf1_note="tf.einsum with a tf.Variable (no TF1 layer)",
         cases=[Case("into-heads", {"equation": "abc,cde->abde", "output_shape": (None, 2, 3),
                                    "bias_axes": "de"}, (2, 4, 5)),
                Case("dense-relu", {"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c",
                                    "activation": "relu"}, (3, 5))])
register("Attention", tf1_note=_NO_TF1,
         cases=[Case("dot-scale", {"use_scale": True}, [(2, 4, 3), (2, 5, 3)]),
                Case("concat-key", {"score_mode": "concat"}, [(2, 4, 3), (2, 5, 3), (2, 5, 3)])])
register("AdditiveAttention", tf1_note="tf.reduce_sum(scale * tf.tanh(q + k)) + tf.nn.softmax by hand",
         cases=[Case("scale", {}, [(2, 4, 3), (2, 5, 3)])])
register("RMSNormalization", tf1_note="x * tf.math.rsqrt(tf.reduce_mean(x**2) + eps) by hand",
         cases=[Case("last-axis", {}, (3, 4, 6))])
register("UnitNormalization", tf1_note="tf.math.l2_normalize",
         cases=[Case("last-axis", {}, (3, 4, 6))])
register("PositionEmbedding", keras=_position_keras,
         keras_name="tf.keras.layers.Embedding over positions (Keras core has no position layer)",
         tf1_note="a tf.get_variable table sliced to the sequence length",
         cases=[Case("len6", {"sequence_length": 6}, (3, 4, 5))])
