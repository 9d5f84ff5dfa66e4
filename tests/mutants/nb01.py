"""01_layer_anatomy: dense_param_count, square_forward, square_backward."""
from . import Variant as V

MUTANTS = [
    V("dense_param_count", "first-axis", "reads input_shape[1] instead of the last axis", """
        def dense_param_count(input_shape, units, use_bias):
            return input_shape[1] * units + (units if use_bias else 0)
    """),
    V("dense_param_count", "bias-always", "counts the bias even when use_bias is False", """
        def dense_param_count(input_shape, units, use_bias):
            return input_shape[-1] * units + units
    """),
    V("dense_param_count", "all-axes", "multiplies every known input axis", """
        def dense_param_count(input_shape, units, use_bias):
            n = 1
            for d in input_shape[1:]:
                n *= d
            return n * units + (units if use_bias else 0)
    """),
    V("dense_param_count", "bias-per-input", "a bias per input feature instead of per unit", """
        def dense_param_count(input_shape, units, use_bias):
            return input_shape[-1] * units + (input_shape[-1] if use_bias else 0)
    """),
    V("square_forward", "times-two", "2 * x instead of x squared", """
        def square_forward(x):
            return 2 * x
    """),
    V("square_forward", "in-place", "squares the input array in place", """
        def square_forward(x):
            x *= x
            return x
    """),
    V("square_forward", "float32", "casts to float32", """
        def square_forward(x):
            return (x * x).astype(np.float32)
    """),
    V("square_backward", "no-chain-rule", "returns 2x, forgetting dy", """
        def square_backward(dy, x):
            return 2 * x
    """),
    V("square_backward", "missing-two", "x * dy, forgetting the factor 2", """
        def square_backward(dy, x):
            return x * dy
    """),
    V("square_backward", "uses-y", "2 * x**2 * dy: the output used where the input belongs", """
        def square_backward(dy, x):
            return 2 * x * x * dy
    """),
]

CORRECT = [
    V("dense_param_count", "kernel-shape", "from the kernel's and bias's shapes", """
        def dense_param_count(input_shape, units, use_bias):
            shapes = [(input_shape[-1], units)] + ([(units,)] if use_bias else [])
            return sum(int(np.prod(s)) for s in shapes)
    """),
    V("dense_param_count", "int-bool", "use_bias as 0/1", """
        def dense_param_count(input_shape, units, use_bias):
            return (input_shape[-1] + int(use_bias)) * units
    """),
    V("square_forward", "power", "x ** 2", """
        def square_forward(x):
            return x ** 2
    """),
    V("square_forward", "np-square", "np.square", """
        def square_forward(x):
            return np.square(x)
    """),
    V("square_backward", "multiply", "np.multiply", """
        def square_backward(dy, x):
            return np.multiply(dy, x + x)
    """),
    V("square_backward", "loop", "element by element", """
        def square_backward(dy, x):
            out = np.empty_like(x)
            for i in np.ndindex(x.shape):
                out[i] = 2.0 * x[i] * dy[i]
            return out
    """),
]
