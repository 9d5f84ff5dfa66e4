"""How TensorFlow rounds some constants, reproduced so that float64 results agree to 1e-16.

TF and Keras often write a constant as ``cast(python_float, dtype)``. The Python
float is first turned into a *float32* tensor, then cast, so even a float64
computation multiplies by the float32-rounded value: GELU's 1/sqrt(2) and 0.044715,
the L1/L2 factors of Keras's regularizers, LeakyRelu's alpha (a float32 op
attribute). Left exact, the kit would differ from TF by about 1e-8 relative.
"""
import numpy as np


def tf_float32_constant(value):
    """A Python float rounded to float32 and back, as TensorFlow stores these constants."""
    return float(np.float32(value))
