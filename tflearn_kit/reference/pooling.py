"""Twins of the pooling layers: tf.keras.layers.*Pooling*D and tf.compat.v1.layers.*_pooling*d.

TensorFlow has no float64 kernel for 3-D pooling (MaxPool3D / AvgPool3D take
half, bfloat16 and float32 only), so the 3-D cases are compared in float32; the
kit's float64 3-D pooling is covered by the gradient check and by its equality
with 2-D pooling on a size-1 axis (tests/test_pooling.py).
"""
from .registry import Case, twin
from .tf import modules

FLOAT32_ONLY = ("float32",)


def _pool_tf1(function_name):
    def build(layer, x, training, init):
        tf, _, legacy = modules()
        pool = getattr(legacy, function_name)
        if layer.data_format == "channels_last":
            return pool(x, layer.pool_size, layer.strides, padding=layer.padding)
        # TF's default CPU pooling kernels take channels_last only ("Default MaxPoolingOp only
        # supports NHWC on device type CPU"; oneDNN's float32 kernels accept NCHW, float64
        # always fails): TF1 code on a CPU transposed around the call, as Keras 3 does
        rank = len(layer.pool_size)
        last = tf.transpose(x, [0, *range(2, rank + 2), 1])
        y = pool(last, layer.pool_size, layer.strides, padding=layer.padding)
        return tf.transpose(y, [0, rank + 1, *range(1, rank + 1)])
    return build


def _global_tf1(reduce_name):
    def build(layer, x, training, init):
        tf, _, _ = modules()
        first = layer.data_format == "channels_first"
        axes = list(range(2, 2 + layer.rank)) if first else list(range(1, 1 + layer.rank))
        return getattr(tf, reduce_name)(x, axis=axes, keepdims=layer.keepdims)
    return build


def _pool_cases(rank):
    spatial = {1: (9,), 2: (7, 8), 3: (5, 6, 4)}[rank]
    dtypes = FLOAT32_ONLY if rank == 3 else ("float32", "float64")
    channels_first = (2, 3) + spatial
    return [
        Case("pool2-valid", {"pool_size": 2}, (2, *spatial, 3), dtypes=dtypes),
        Case("pool3-stride2-same", {"pool_size": 3, "strides": 2, "padding": "same"},
             (2, *spatial, 3), dtypes=dtypes),
        Case("pool2-stride1-valid", {"pool_size": 2, "strides": 1}, (2, *spatial, 2),
             dtypes=dtypes),
        Case("pool2-same-channels-first", {"pool_size": 2, "padding": "same",
                                           "data_format": "channels_first"}, channels_first,
             dtypes=dtypes),
        Case("pool3-stride1-same", {"pool_size": 3, "strides": 1, "padding": "same"},
             (2, *spatial, 3), dtypes=dtypes),
        Case("pool2-stride3-valid", {"pool_size": 2, "strides": 3}, (2, *spatial, 3), dtypes=dtypes),
        Case("pool3-stride2-valid-channels-first", {"pool_size": 3, "strides": 2,
                                                    "data_format": "channels_first"},
             channels_first, dtypes=dtypes),
    ]


def _pool_twins(rank, kind, tf1_kind):
    reduce = "reduce_max" if kind == "Max" else "reduce_mean"
    axes = ", ".join(str(a) for a in range(1, rank + 1))
    spatial = {1: (7,), 2: (5, 6), 3: (3, 4, 5)}[rank]
    return [
        twin(f"{kind}Pooling{rank}D", tf1=_pool_tf1(f"{tf1_kind}_pooling{rank}d"),
             tf1_name=f"tf.compat.v1.layers.{tf1_kind}_pooling{rank}d", cases=_pool_cases(rank)),
        twin(f"Global{kind}Pooling{rank}D", tf1=_global_tf1(reduce),
             tf1_name=f"tf.{reduce}(x, axis=[{axes}]) (TF1 had no global pooling layer)",
             cases=[Case("channels-last", {}, (2, *spatial, 3)),
                    Case("keepdims-channels-last", {"keepdims": True}, (2, *spatial, 3)),
                    Case("channels-first", {"data_format": "channels_first"}, (2, 3, *spatial)),
                    Case("keepdims-channels-first", {"keepdims": True, "data_format": "channels_first"},
                         (2, 3, *spatial))]),
    ]


TWINS = [t for rank in (1, 2, 3) for kind, tf1_kind in (("Max", "max"), ("Average", "average"))
         for t in _pool_twins(rank, kind, tf1_kind)]
