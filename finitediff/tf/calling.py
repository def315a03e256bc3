"""Calling a Keras model or TF callable the one way finitediff does.

Keras layers get ``training=False`` unless asked otherwise: a layer whose
``call`` defaults to ``training=True`` would run Dropout and
BatchNormalization in training mode, and their values are random or depend on
the other points of the batch, which no finite difference can differentiate.
"""

from __future__ import annotations

import keras

__all__ = ["call_model", "is_keras_layer", "randomising_layers"]

#: Layers whose values in training mode are random or depend on the whole batch.
_TRAINING_DEPENDENT = ("Dropout", "SpatialDropout", "AlphaDropout", "GaussianDropout",
                       "GaussianNoise", "BatchNormalization")


def is_keras_layer(model) -> bool:
    """Whether ``model`` is a Keras layer or model (accepts ``training=``)."""
    return isinstance(model, keras.layers.Layer)


def call_model(model, inputs, *, training: bool = False):
    """``model(inputs)``, in inference mode unless ``training`` (Keras layers only)."""
    if is_keras_layer(model):
        return model(inputs, training=training)
    return model(inputs)


def randomising_layers(model) -> list[str]:
    """Names of the layers of ``model`` that are random or batch-dependent in training mode."""
    if not isinstance(model, keras.Model):
        return []
    return [layer.name for layer in model._flatten_layers(include_self=False)
            if any(type(layer).__name__.startswith(kind) for kind in _TRAINING_DEPENDENT)]
