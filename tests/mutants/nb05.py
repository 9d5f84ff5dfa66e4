"""05_separable_and_depthwise: depthwise_conv2d, conv_costs."""
from . import Variant as V

MUTANTS = [
    V("depthwise_conv2d", "multiplier-major", "output channels ordered (m, C) instead of (C, m)", """
        def depthwise_conv2d(x, kernel):
            n, h, w, c = x.shape
            kh, kw, _, m = kernel.shape
            oh, ow = h - kh + 1, w - kw + 1
            y = np.zeros((n, oh, ow, c, m))
            for a in range(kh):
                for b in range(kw):
                    y += x[:, a: a + oh, b: b + ow, :, None] * kernel[a, b]
            return y.transpose(0, 1, 2, 4, 3).reshape(n, oh, ow, c * m)
    """),
    V("depthwise_conv2d", "sum-over-channels", "a full convolution: channels summed", """
        def depthwise_conv2d(x, kernel):
            n, h, w, c = x.shape
            kh, kw, _, m = kernel.shape
            oh, ow = h - kh + 1, w - kw + 1
            y = np.zeros((n, oh, ow, m))
            for a in range(kh):
                for b in range(kw):
                    y += x[:, a: a + oh, b: b + ow, :] @ kernel[a, b]
            return np.repeat(y, c, axis=-1)
    """),
    V("depthwise_conv2d", "first-multiplier-only", "only kernel[..., 0] used, tiled", """
        def depthwise_conv2d(x, kernel):
            n, h, w, c = x.shape
            kh, kw, _, m = kernel.shape
            oh, ow = h - kh + 1, w - kw + 1
            y = np.zeros((n, oh, ow, c))
            for a in range(kh):
                for b in range(kw):
                    y += x[:, a: a + oh, b: b + ow, :] * kernel[a, b, :, 0]
            return np.repeat(y, m, axis=-1)
    """),
    V("depthwise_conv2d", "square-kernel", "kw taken as kh", """
        def depthwise_conv2d(x, kernel):
            n, h, w, c = x.shape
            kh, _, _, m = kernel.shape
            kw = kh
            oh, ow = h - kh + 1, w - kw + 1
            y = np.zeros((n, oh, ow, c, m))
            for a in range(kh):
                for b in range(min(kw, kernel.shape[1])):
                    y += x[:, a: a + oh, b: b + ow, :, None] * kernel[a, b]
            return y.reshape(n, oh, ow, c * m)
    """),
    V("depthwise_conv2d", "kernel-flipped", "the kernel flipped", """
        def depthwise_conv2d(x, kernel):
            n, h, w, c = x.shape
            kh, kw, _, m = kernel.shape
            kernel = kernel[::-1, ::-1]
            oh, ow = h - kh + 1, w - kw + 1
            y = np.zeros((n, oh, ow, c, m))
            for a in range(kh):
                for b in range(kw):
                    y += x[:, a: a + oh, b: b + ow, :, None] * kernel[a, b]
            return y.reshape(n, oh, ow, c * m)
    """),
    V("conv_costs", "no-biases", "biases left out of both parameter counts", """
        def conv_costs(kernel_size, in_channels, filters, depth_multiplier, out_spatial):
            taps, pos = kernel_size[0] * kernel_size[1], out_spatial[0] * out_spatial[1]
            mid = in_channels * depth_multiplier
            return np.array([taps * in_channels * filters, taps * mid + mid * filters,
                             pos * taps * in_channels * filters, pos * (taps * mid + mid * filters)])
    """),
    V("conv_costs", "multiplier-ignored", "depth_multiplier ignored", """
        def conv_costs(kernel_size, in_channels, filters, depth_multiplier, out_spatial):
            taps, pos = kernel_size[0] * kernel_size[1], out_spatial[0] * out_spatial[1]
            mid = in_channels
            return np.array([taps * in_channels * filters + filters, taps * mid + mid * filters + filters,
                             pos * taps * in_channels * filters, pos * (taps * mid + mid * filters)])
    """),
    V("conv_costs", "mults-per-position", "multiplications for one position only", """
        def conv_costs(kernel_size, in_channels, filters, depth_multiplier, out_spatial):
            taps = kernel_size[0] * kernel_size[1]
            mid = in_channels * depth_multiplier
            return np.array([taps * in_channels * filters + filters, taps * mid + mid * filters + filters,
                             taps * in_channels * filters, taps * mid + mid * filters])
    """),
    V("conv_costs", "square-kernel", "kernel_size[0] squared", """
        def conv_costs(kernel_size, in_channels, filters, depth_multiplier, out_spatial):
            taps, pos = kernel_size[0] ** 2, out_spatial[0] * out_spatial[1]
            mid = in_channels * depth_multiplier
            return np.array([taps * in_channels * filters + filters, taps * mid + mid * filters + filters,
                             pos * taps * in_channels * filters, pos * (taps * mid + mid * filters)])
    """),
    V("conv_costs", "depthwise-bias", "a bias counted for the depthwise step too", """
        def conv_costs(kernel_size, in_channels, filters, depth_multiplier, out_spatial):
            taps, pos = kernel_size[0] * kernel_size[1], out_spatial[0] * out_spatial[1]
            mid = in_channels * depth_multiplier
            return np.array([taps * in_channels * filters + filters, taps * mid + mid + mid * filters + filters,
                             pos * taps * in_channels * filters, pos * (taps * mid + mid * filters)])
    """),
    V("conv_costs", "float32-overflow", "counts in float32 (rounds large counts)", """
        def conv_costs(kernel_size, in_channels, filters, depth_multiplier, out_spatial):
            ks, o = np.float32(kernel_size), np.float32(out_spatial)
            taps, pos = ks[0] * ks[1], o[0] * o[1]
            mid = np.float32(in_channels * depth_multiplier)
            return np.array([taps * in_channels * filters + filters, taps * mid + mid * filters + filters,
                             pos * taps * in_channels * filters, pos * (taps * mid + mid * filters)], np.float32)
    """),
]

CORRECT = [
    V("depthwise_conv2d", "einsum-windows", "loops over positions, einsum over the window", """
        def depthwise_conv2d(x, kernel):
            n, h, w, c = x.shape
            kh, kw, _, m = kernel.shape
            y = np.zeros((n, h - kh + 1, w - kw + 1, c, m))
            for i in range(h - kh + 1):
                for j in range(w - kw + 1):
                    y[:, i, j] = np.einsum("nabc,abcm->ncm", x[:, i: i + kh, j: j + kw], kernel)
            return y.reshape(n, h - kh + 1, w - kw + 1, c * m)
    """),
    V("depthwise_conv2d", "per-channel", "one channel at a time", """
        def depthwise_conv2d(x, kernel):
            n, h, w, c = x.shape
            kh, kw, _, m = kernel.shape
            oh, ow = h - kh + 1, w - kw + 1
            out = []
            for ch in range(c):
                for j in range(m):
                    acc = np.zeros((n, oh, ow))
                    for a in range(kh):
                        for b in range(kw):
                            acc += x[:, a: a + oh, b: b + ow, ch] * kernel[a, b, ch, j]
                    out.append(acc)
            return np.stack(out, axis=-1)
    """),
    V("conv_costs", "prod", "np.prod of the sizes", """
        def conv_costs(kernel_size, in_channels, filters, depth_multiplier, out_spatial):
            taps, pos = int(np.prod(kernel_size)), int(np.prod(out_spatial))
            depthwise = taps * in_channels * depth_multiplier
            pointwise = in_channels * depth_multiplier * filters
            full = taps * in_channels * filters
            return np.array([full + filters, depthwise + pointwise + filters, pos * full, pos * (depthwise + pointwise)])
    """),
    V("conv_costs", "int64", "as int64 arithmetic", """
        def conv_costs(kernel_size, in_channels, filters, depth_multiplier, out_spatial):
            kh, kw = np.int64(kernel_size[0]), np.int64(kernel_size[1])
            oh, ow = out_spatial
            m = in_channels * depth_multiplier
            return np.array([kh * kw * in_channels * filters + filters, kh * kw * m + m * filters + filters,
                             oh * ow * kh * kw * in_channels * filters, oh * ow * (kh * kw * m + m * filters)], np.int64)
    """),
]
