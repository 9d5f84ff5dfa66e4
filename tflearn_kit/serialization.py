"""Keras's config round trip, shared by initializers, regularizers, constraints, losses and
optimizers: an object is rebuilt from ``{"class_name": ..., "config": ...}``, and looked up
by its class name or its snake-case name.
"""


class Configurable:
    """``get_config`` returns the constructor's arguments; ``from_config`` calls it with them."""

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def serialize(obj):
    """Keras's form, {"class_name": ..., "config": ...}; None stays None."""
    if obj is None:
        return None
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


def lookup(identifier, kind, base, classes, by_name):
    """The object that ``identifier`` names: an instance of ``base`` as it is, a class name
    (``classes``) or a snake-case name (``by_name``, matched in lower case) built with its
    defaults, or a config dict rebuilt with ``from_config``. ``kind`` names it in errors."""
    if isinstance(identifier, base):
        return identifier
    if isinstance(identifier, str):
        return _class(identifier, kind, classes, by_name)()
    if isinstance(identifier, dict):
        cls = _class(identifier["class_name"], kind, classes, by_name)
        return cls.from_config(identifier.get("config", {}))
    article = "An" if kind[0] in "aeiou" else "A"
    raise TypeError(f"{article} {kind} must be a name, a config dict or a {base.__name__}; "
                    f"got {identifier!r}.")


def _class(name, kind, classes, by_name):
    cls = classes.get(name) or by_name.get(name.lower())
    if cls is None:
        raise ValueError(f"Unknown {kind} {name!r}. Expected one of: {', '.join(sorted(by_name))}.")
    return cls
