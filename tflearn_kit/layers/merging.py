"""Layers that merge several inputs into one: Add, Subtract, Multiply, Average, Maximum,
Minimum, Concatenate, Dot.

They take a list of arrays and their backward returns a list of dx, one per input.
A skip connection ``Add()([x, f(x)])`` is the reason they exist: the gradient
reaching the sum flows unchanged into both branches.

The elementwise ones broadcast as Keras 3 does: an input of lower rank gets axes of
size 1 inserted after the batch axis, then NumPy's broadcasting applies, so
``Add()([x (2, 3), b (2, 1)])`` is (2, 3). Backward sums the gradient back over
the axes an input was broadcast along (the chain rule for a copy: the copies'
gradients add up).

Masks (one per input, (batch, steps) for (batch, steps, features) inputs, or None) follow
Keras 3 (keras/src/layers/merging): the elementwise merges emit the OR of their inputs'
masks when every input has one, no mask otherwise; Concatenate joins the masks along its
axis (an unmasked input counts as all true) and reduces over the last axis; Dot emits none.
Multiply, Maximum and Minimum also let a mask change the values: a masked step takes no
part (Multiply reads it as 1, Maximum and Minimum as "no candidate"), and where every input
is masked Multiply outputs 0. As in Keras, an input of lower rank, which Keras expands
first, loses its mask inside the merge (its mask still counts for the output mask).
"""
import numpy as np

from .base import Layer


class _Merge(Layer):
    supports_masking = True
    min_inputs = 2

    def _check(self, shapes):
        if not isinstance(shapes, list) or len(shapes) < self.min_inputs:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) expected a list of at least "
                             f"{self.min_inputs} inputs, but got {shapes!r}.")

    def build(self, input_shape):
        self._check(input_shape)
        self.compute_output_shape(input_shape)      # raises on shapes that do not broadcast

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        batches = {s[0] for s in shapes} - {None}
        if len(batches) > 1 or not self._broadcasts(shapes):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expected inputs whose shapes broadcast "
                f"together (one batch size, each axis equal or 1 counting from the last), but got "
                f"shapes {shapes}.")
        out = []
        for axis in range(1, max(len(s) for s in shapes)):
            sizes = [s[-axis] for s in shapes if len(s) - 1 >= axis]
            out.insert(0, None if None in sizes else max(sizes))
        return (batches.pop() if batches else None,) + tuple(out)

    @staticmethod
    def _broadcasts(shapes):
        """Keras's rule: the batchless shapes, aligned on the right, are equal or 1 on each axis."""
        rank = max(len(s) for s in shapes) - 1
        for axis in range(1, rank + 1):
            sizes = {s[-axis] for s in shapes if len(s) - 1 >= axis} - {1, None}
            if len(sizes) > 1:
                return False
        return True

    @staticmethod
    def _expanded(inputs):
        """Each input with axes of size 1 inserted after the batch axis, up to the highest rank."""
        rank = max(x.ndim for x in inputs)
        return [x.reshape(x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:]) for x in inputs]

    @staticmethod
    def _unbroadcast(grad, shape):
        """Sum ``grad`` over the axes an input of ``shape`` was broadcast (or expanded) along."""
        rank = grad.ndim
        expanded = shape[:1] + (1,) * (rank - len(shape)) + tuple(shape[1:])
        axes = tuple(i for i, (g, n) in enumerate(zip(grad.shape, expanded)) if n == 1 and g != 1)
        if axes:
            grad = grad.sum(axis=axes, keepdims=True)
        return grad.reshape(shape)

    def _checked_masks(self, inputs, mask):
        """``mask`` as a list with one entry per input, or None when no input has one."""
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)) or len(mask) != len(inputs):
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) expected a list of "
                             f"{len(inputs)} masks (one per input, None for an unmasked one), but "
                             f"got {mask if not isinstance(mask, (list, tuple)) else len(mask)!r}.")
        return [None if m is None else np.asarray(m, bool) for m in mask]

    def compute_mask(self, inputs, mask=None):
        """The OR of the masks when every input has one (Keras's Merge.compute_mask)."""
        masks = self._checked_masks(inputs, mask)
        if masks is None or any(m is None for m in masks):
            return None
        out = masks[0]
        for m in masks[1:]:
            out = np.logical_or(out, m)
        return out

    def _value_masks(self, inputs, mask):
        """Each input's mask spread over its features (x's shape), for the merges whose values a
        mask changes; None for an input of lower rank (Keras expands it, and the expanded
        tensor carries no mask)."""
        masks = self._checked_masks(inputs, mask) or [None] * len(inputs)
        rank = max(x.ndim for x in inputs)
        return [None if m is None or x.ndim < rank else np.broadcast_to(m[..., None], x.shape)
                for x, m in zip(inputs, masks)]

    def __call__(self, inputs, training=None, mask=None, **kwargs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) expected a list of inputs, "
                             f"but got a single {type(inputs).__name__}.")
        return super().__call__(list(inputs), training=training, mask=mask, **kwargs)


class _Elementwise(_Merge):
    """A merge computed elementwise after Keras's broadcasting; backward unbroadcasts each dx."""

    def call(self, inputs):
        self._shapes_in = [x.shape for x in inputs]
        return self.merge(self._expanded(inputs))

    def backward_call(self, dy):
        return [self._unbroadcast(g, shape)
                for g, shape in zip(self.merge_backward(dy), self._shapes_in)], []


class Add(_Elementwise):
    """The elementwise sum of its inputs. See tf.keras.layers.Add.

    Input shape: a list of arrays that broadcast together      Output shape: the broadcast shape
    """

    def merge(self, xs):
        self._cache = len(xs)
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out

    def merge_backward(self, dy):
        return [dy] * self._cache           # d(sum)/d(each input) is the identity


class Subtract(_Elementwise):
    """inputs[0] - inputs[1]. See tf.keras.layers.Subtract."""

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"Layer '{self.name}' (Subtract) expected exactly 2 inputs, "
                             f"but got {len(input_shape)}.")

    def merge(self, xs):
        self._cache = True
        return xs[0] - xs[1]

    def merge_backward(self, dy):
        return [dy, -dy]


class Multiply(_Elementwise):
    """The elementwise product of its inputs. See tf.keras.layers.Multiply.

    With masks: a masked step of an input counts as 1; when every input has a mask, the
    steps no input keeps are 0.
    """

    def call(self, inputs, mask=None):
        masks = self._value_masks(inputs, mask)
        self._shapes_in = [x.shape for x in inputs]
        xs = [x if m is None else np.where(m, x, x.dtype.type(1)) for x, m in zip(inputs, masks)]
        out = self.merge(self._expanded(xs))
        keep = None
        if all(m is not None for m in masks):
            keep = masks[0]
            for m in masks[1:]:
                keep = np.logical_or(keep, m)
            out = np.where(keep, out, out.dtype.type(0))
        self._masks = (masks, keep)
        return out

    def backward_call(self, dy):
        masks, keep = self._masks
        if keep is not None:
            dy = np.where(keep, dy, dy.dtype.type(0))     # the zeroed steps depend on no input
        dxs = self.merge_backward(dy)
        # a step read as the constant 1 passes no gradient to the input it replaced
        dxs = [d if m is None else np.where(np.broadcast_to(m, d.shape), d, d.dtype.type(0))
               for d, m in zip(dxs, masks)]
        return [self._unbroadcast(g, shape) for g, shape in zip(dxs, self._shapes_in)], []

    def merge(self, xs):
        self._cache = xs
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out

    def merge_backward(self, dy):
        xs = self._cache
        dxs = []
        for i in range(len(xs)):
            others = dy
            for j, x in enumerate(xs):
                if j != i:
                    others = others * x      # the product of every other input, without dividing by x_i
            dxs.append(others)
        return dxs


class Average(_Elementwise):
    """The elementwise mean of its inputs. See tf.keras.layers.Average."""

    def merge(self, xs):
        self._cache = len(xs)
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out / out.dtype.type(len(xs))

    def merge_backward(self, dy):
        return [dy / dy.dtype.type(self._cache)] * self._cache


class _Extremum(_Elementwise):
    """Maximum and Minimum: Keras folds ``ops.maximum(out, x)`` over the inputs in order.

    With masks (Keras's ``_apply_merge_op_and_or_mask``): at each step of the fold a masked
    x is replaced by the running result and a masked running result by x, so a masked
    entry never wins unless nothing else is there. ``winner`` follows which input each
    output entry came from, so the gradient reaches exactly that input.
    """

    def call(self, inputs, mask=None):
        self._shapes_in = [x.shape for x in inputs]
        return self.merge(self._expanded(inputs), self._value_masks(inputs, mask))

    def merge(self, xs, masks=None):
        masks = masks or [None] * len(xs)
        out, out_mask = xs[0], masks[0]
        winner = np.zeros((), dtype=np.intp)
        for i, (x, m) in enumerate(zip(xs[1:], masks[1:]), start=1):
            source = np.intp(i)
            if m is not None:
                x, source = np.where(m, x, out), np.where(m, source, winner)
            if out_mask is not None:
                out, winner = np.where(out_mask, out, x), np.where(out_mask, winner, source)
            out_mask = None if m is None or out_mask is None else np.logical_or(out_mask, m)
            # TF's gradient of maximum(a, b) goes to a where a >= b (minimum: a <= b): on a tie
            # the earlier input keeps it
            keep = out >= x if self.keep_ties_max else out <= x
            winner = np.where(keep, winner, source)
            out = np.where(keep, out, x)
        self._cache = (len(xs), np.broadcast_to(winner, out.shape))
        return out

    def merge_backward(self, dy):
        n, winner = self._cache
        return [np.where(winner == i, dy, 0).astype(dy.dtype) for i in range(n)]


class Maximum(_Extremum):
    """The elementwise maximum of its inputs. See tf.keras.layers.Maximum.

    The gradient reaches only the input that held the maximum (the first one on a tie).
    """
    keep_ties_max = True


class Minimum(_Extremum):
    """The elementwise minimum of its inputs. See tf.keras.layers.Minimum."""
    keep_ties_max = False


class Concatenate(_Merge):
    """Joins its inputs along ``axis``. See tf.keras.layers.Concatenate.

    Input shape: a list of arrays equal on every axis but ``axis``
    Output shape: the sum of their sizes on ``axis``
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape):
        self._check(input_shape)
        ranks = {len(s) for s in input_shape}
        rank = ranks.pop() if len(ranks) == 1 else None
        axis = self.axis % rank if rank else None
        rest = {tuple(d for i, d in enumerate(s) if i not in (0, axis)) for s in input_shape}
        if rank is None or len(rest) != 1:
            raise ValueError(f"Layer '{self.name}' (Concatenate) expected inputs with matching shapes "
                             f"except on axis {self.axis}, but got shapes "
                             f"{[tuple(s) for s in input_shape]}.")

    def call(self, inputs):
        self._cache = np.cumsum([x.shape[self.axis] for x in inputs])[:-1]
        return np.concatenate(inputs, axis=self.axis)

    def backward_call(self, dy):
        return np.split(dy, self._cache, axis=self.axis), []     # each input gets its own slice

    def compute_mask(self, inputs, mask=None):
        """Keras's Concatenate.compute_mask: every mask spread over its input's shape (all true
        for an unmasked input), joined along ``axis``, then any() over the last axis."""
        masks = self._checked_masks(inputs, mask)
        if masks is None or all(m is None for m in masks):
            return None
        full = [np.ones(x.shape, bool) if m is None else
                np.broadcast_to(m[..., None], x.shape) if m.ndim < x.ndim else m
                for x, m in zip(inputs, masks)]
        return np.concatenate(full, axis=self.axis).any(axis=-1)

    def compute_output_shape(self, input_shape):
        out = list(input_shape[0])
        sizes = [s[self.axis] for s in input_shape]
        out[self.axis] = None if any(d is None for d in sizes) else sum(sizes)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Dot product of two inputs along ``axes``, sample by sample. See tf.keras.layers.Dot.

    Args:
        axes: one axis for both inputs, or (axis of the first, axis of the second); never 0.
        normalize: L2-normalize both inputs along their axis first (the result is then the
            cosine similarity).

    Input shape: [(batch, ..., d, ...), (batch, ..., d, ...)]
    Output shape: (batch, the first's other axes, the second's other axes); (batch, 1) for two
    rank-2 inputs.
    """

    supports_masking = True

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2 or not all(isinstance(a, int) for a in axes):
                raise ValueError(f"Dot: axes must be an int or a list of two ints; got {axes!r}.")
        elif not isinstance(axes, int):
            raise TypeError(f"Dot: axes must be an int or a list of two ints; got {axes!r}.")
        self.axes = axes
        self.normalize = normalize

    def _axes(self, shapes):
        axes = self.axes if isinstance(self.axes, (list, tuple)) else [self.axes] * 2
        return [a % len(s) for a, s in zip(axes, shapes)]

    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) != 2:
            raise ValueError(f"Layer '{self.name}' (Dot) expected a list of 2 inputs, but got "
                             f"{input_shape!r}.")
        s1, s2 = (tuple(s) for s in input_shape)
        a1, a2 = self._axes((s1, s2))
        if len(s1) < 2 or len(s2) < 2 or 0 in (a1, a2) or s1[a1] != s2[a2] or s1[0] != s2[0]:
            raise ValueError(
                f"Layer '{self.name}' (Dot) expected two inputs of rank >= 2 with one batch size "
                f"and equal sizes on axes {self.axes} (not the batch axis), but got shapes "
                f"{s1} and {s2}.")

    def _normalized(self, x, axis):
        # keras.ops.normalize: x * min(1 / sqrt(sum x^2), 1 / epsilon)
        inv = np.minimum(1 / np.sqrt((x * x).sum(axis=axis, keepdims=True)), x.dtype.type(1e7))
        return x * inv, (x, inv, axis)

    @staticmethod
    def _normalized_backward(du, cache):
        x, inv, axis = cache
        active = inv < x.dtype.type(1e7)     # where the cap holds, inv is a constant
        return du * inv - np.where(active, x * inv ** 3 * (du * x).sum(axis=axis, keepdims=True), 0)

    def call(self, inputs):
        x, y = inputs
        a1, a2 = self._axes((x.shape, y.shape))
        norms = None
        if self.normalize:
            (x, cx), (y, cy) = self._normalized(x, a1), self._normalized(y, a2)
            norms = (cx, cy)
        xm = np.moveaxis(x, a1, -1)                      # (batch, X..., d)
        ym = np.moveaxis(y, a2, 1)                       # (batch, d, Y...)
        b, d = x.shape[0], x.shape[a1]
        out = np.matmul(xm.reshape(b, -1, d), ym.reshape(b, d, -1))     # (batch, P, Q)
        out_shape = (b,) + xm.shape[1:-1] + ym.shape[2:]
        self._cache = (xm, ym, a1, a2, norms, out.shape)
        return out.reshape(out_shape if len(out_shape) > 1 else (b, 1))

    def backward_call(self, dy):
        xm, ym, a1, a2, norms, flat = self._cache
        b, d = xm.shape[0], xm.shape[-1]
        g = dy.reshape(flat)
        dxm = np.matmul(g, ym.reshape(b, d, -1).transpose(0, 2, 1)).reshape(xm.shape)
        dym = np.matmul(xm.reshape(b, -1, d).transpose(0, 2, 1), g).reshape(ym.shape)
        dx, dyy = np.moveaxis(dxm, -1, a1), np.moveaxis(dym, 1, a2)
        if norms is not None:
            dx, dyy = self._normalized_backward(dx, norms[0]), self._normalized_backward(dyy, norms[1])
        return [dx, dyy], []

    def compute_output_shape(self, input_shape):
        s1, s2 = (list(s) for s in input_shape)
        a1, a2 = self._axes((s1, s2))
        s1.pop(a1)
        s2.pop(a2)
        out = s1 + s2[1:]
        return tuple(out + [1] if len(out) == 1 else out)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}
