"""07_batch_normalization: batchnorm_forward, batchnorm_backward."""
from . import Variant as V

_F = """
def batchnorm_forward(x, gamma, beta, eps):
    mean = {mean}
    var = {var}
    x_hat = {xhat}
    return gamma * x_hat + beta
"""


def f(mean="x.mean(axis=0)", var="x.var(axis=0)", xhat="(x - mean) / np.sqrt(var + eps)"):
    return _F.format(mean=mean, var=var, xhat=xhat)


_B = """
def batchnorm_backward(dy, x, gamma, eps):
    mean = x.mean(axis=0)
    inv_std = 1.0 / np.sqrt({var} + eps)
    x_hat = (x - mean) * inv_std
    dbeta = {dbeta}
    dgamma = (dy * x_hat).sum(axis=0)
    g = dy * {gamma}
    dx = {dx}
    return {ret}
"""


def b(var="x.var(axis=0)", dbeta="dy.sum(axis=0)", gamma="gamma",
      dx="inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))", ret="dx, dgamma, dbeta"):
    return _B.format(var=var, dbeta=dbeta, gamma=gamma, dx=dx, ret=ret)


MUTANTS = [
    V("batchnorm_forward", "feature-axis", "statistics over the features (axis 1, keepdims)",
      f(mean="x.mean(axis=1, keepdims=True)", var="x.var(axis=1, keepdims=True)")),
    V("batchnorm_forward", "unbiased-variance", "np.var(ddof=1)", f(var="x.var(axis=0, ddof=1)")),
    V("batchnorm_forward", "eps-outside-sqrt", "divides by sqrt(var) + eps", f(xhat="(x - mean) / (np.sqrt(var) + eps)")),
    V("batchnorm_forward", "std-not-var", "divides by sqrt(std + eps)", f(xhat="(x - mean) / np.sqrt(np.sqrt(var) + eps)")),
    V("batchnorm_forward", "eps-ignored", "eps left out", f(xhat="(x - mean) / np.sqrt(var)")),
    V("batchnorm_forward", "in-place", "centres x in place", f(xhat="x.__isub__(mean) / np.sqrt(var + eps)")),
    V("batchnorm_forward", "global-statistics", "one mean and variance over the whole array (no axis)",
      f(mean="x.mean()", var="x.var()")),
    V("batchnorm_forward", "gamma-beta-swapped", "beta scales and gamma shifts", """
        def batchnorm_forward(x, gamma, beta, eps):
            x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
            return beta * x_hat + gamma
    """),
    V("batchnorm_backward", "no-mean-terms", "dx = gamma * dy / sqrt(var + eps): the statistics treated as constants",
      b(dx="g * inv_std")),
    V("batchnorm_backward", "unbiased-variance", "ddof=1 in the backward pass", b(var="x.var(axis=0, ddof=1)")),
    V("batchnorm_backward", "gamma-forgotten", "gamma left out of dx", b(gamma="1.0")),
    V("batchnorm_backward", "dbeta-mean", "dbeta as a mean", b(dbeta="dy.mean(axis=0)")),
    V("batchnorm_backward", "dgamma-dbeta-swapped", "returns (dx, dbeta, dgamma)", b(ret="dx, dbeta, dgamma")),
    V("batchnorm_backward", "only-mean-term", "forgets the x_hat term", b(dx="inv_std * (g - g.mean(axis=0))")),
    V("batchnorm_backward", "dgamma-with-x", "dgamma = sum(dy * x): x where x_hat belongs", """
        def batchnorm_backward(dy, x, gamma, eps):
            inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
            x_hat = (x - x.mean(axis=0)) * inv_std
            g = dy * gamma
            dx = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
            return dx, (dy * x).sum(axis=0), dy.sum(axis=0)
    """),
    V("batchnorm_backward", "means-over-features", "the correction terms averaged over the features (axis 1)",
      b(dx="inv_std * (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True))")),
]

CORRECT = [
    V("batchnorm_forward", "explicit", "written out with sums", """
        def batchnorm_forward(x, gamma, beta, eps):
            n = x.shape[0]
            mu = x.sum(axis=0) / n
            sigma2 = ((x - mu) ** 2).sum(axis=0) / n
            return gamma * (x - mu) / np.sqrt(sigma2 + eps) + beta
    """),
    V("batchnorm_forward", "keepdims", "keepdims statistics", """
        def batchnorm_forward(x, gamma, beta, eps):
            mu = np.mean(x, axis=0, keepdims=True)
            var = np.mean(np.square(x - mu), axis=0, keepdims=True)
            return (x - mu) * (gamma / np.sqrt(var + eps)) + beta
    """),
    V("batchnorm_backward", "staged", "through the graph: x_hat, var, mean", """
        def batchnorm_backward(dy, x, gamma, eps):
            n = x.shape[0]
            mu = x.mean(axis=0)
            xc = x - mu
            var = (xc ** 2).mean(axis=0)
            std = np.sqrt(var + eps)
            x_hat = xc / std
            dx_hat = dy * gamma
            dvar = (dx_hat * xc).sum(axis=0) * -0.5 * std ** -3
            dmu = -(dx_hat / std).sum(axis=0) + dvar * (-2 * xc).mean(axis=0)
            dx = dx_hat / std + dvar * 2 * xc / n + dmu / n
            return dx, (dy * x_hat).sum(axis=0), dy.sum(axis=0)
    """),
    V("batchnorm_backward", "compact", "the one-line formula with sums", b(
        dx="inv_std / x.shape[0] * (x.shape[0] * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))")),
]
