"""Twins of the adaptive poolings. TF1 had none: code sliced each window and reduced it
(PyTorch's AdaptiveAvgPool2d is where the layer comes from)."""
from ..kernels.adaptive_pooling import adaptive_windows
from .registry import Case, twin
from .tf import modules


def adaptive_tf1(layer, x, training, init):
    tf, _, _ = modules()
    reduce = tf.reduce_max if layer.mode == "max" else tf.reduce_mean
    first = layer.data_format == "channels_first"
    y = tf.transpose(x, [0] + list(range(2, layer.rank + 2)) + [1]) if first else x
    for axis, n_out in enumerate(layer.output_size, start=1):
        n_in = int(y.shape[axis])
        parts = []
        for a, b in adaptive_windows(n_in, n_out):
            index = [slice(None)] * len(y.shape)
            index[axis] = slice(a, b)
            parts.append(reduce(y[tuple(index)], axis=axis, keepdims=True))
        y = tf.concat(parts, axis=axis)
    return tf.transpose(y, [0, layer.rank + 1] + list(range(1, layer.rank + 1))) if first else y


def _cases(rank):
    shapes = {1: (2, 7, 3), 2: (2, 5, 7, 2), 3: (1, 5, 4, 6, 2)}
    sizes = {1: 3, 2: (3, 2), 3: (2, 3, 4)}
    first = {1: (2, 3, 8), 2: (2, 2, 6, 5), 3: (1, 2, 4, 5, 3)}
    # TF's 3-D pooling kernels exist in float32 only on CPU, as for MaxPooling3D
    dtypes = ("float32",) if rank == 3 else ("float32", "float64")
    return [Case("overlapping-windows", {"output_size": sizes[rank]}, shapes[rank], dtypes=dtypes),
            Case("channels-first", {"output_size": 2, "data_format": "channels_first"}, first[rank],
                 dtypes=dtypes)]


NOTE = "per-window tf.reduce_{kind} over slices, tf.concat (no TF1 op)"
TWINS = [twin(f"Adaptive{kind}Pooling{rank}D", tf1=adaptive_tf1,
              tf1_name=NOTE.format(kind="max" if kind == "Max" else "mean"), cases=_cases(rank))
         for kind in ("Average", "Max") for rank in (1, 2, 3)]
