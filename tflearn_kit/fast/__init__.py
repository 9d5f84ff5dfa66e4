"""The kernels' fast paths: the same numbers as ``tflearn_kit.kernels``, faster on big arrays.

``kernels/`` is what a learner reads: each function straight through, formula first.
This package is what makes training bearable, as CS231n keeps ``fast_layers.py`` beside
``layers.py``: threads over the batch or the taps, the 1x1 convolution as a plain
matmul, the stride-1 input gradient as shifted matmuls, the tiled max-pooling backward,
batch norm's sums added in float32 slabs.
Each public function has the readable one's signature and returns the same numbers (the
same cache too); it picks its road by the shapes it gets and falls back to the readable
kernel otherwise. ``tests/test_fast.py`` checks every one equal to its readable twin
over the parity grid. The layers call this package; the notebooks print ``kernels/``.

The one piece of state in the kit lives here: the thread pool (``parallel.py``).
"""
