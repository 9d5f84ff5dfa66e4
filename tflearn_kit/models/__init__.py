"""Models: Sequential, the functional API (Input -> layers -> Model) and subclassed models.

    model = Sequential([Input((64,)), layers.Dense(32, activation="relu"), layers.Dense(10)])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=5, batch_size=32)
"""
from .functional import Input, InputLayer, KerasTensor
from .model import Model
from .sequential import Sequential
from .summary import summary_text

__all__ = ["Input", "InputLayer", "KerasTensor", "Model", "Sequential", "summary_text"]
