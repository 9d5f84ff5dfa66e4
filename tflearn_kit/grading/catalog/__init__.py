"""The grading catalog: one module of exercises per notebook, listed here and nowhere else.

Each module ``nbNN_<name>`` holds the exercises of notebook ``NN_<name>`` in
``EXERCISES`` (in notebook order) and, when the exercises' own code uses kit
helpers while graded, ``STUDENT_KIT``: the dotted names the sandbox provides.
The list is explicit, not discovered: a file that appears in this folder is never
imported by the grader.
"""
MODULES = [
    "nb01_layer_anatomy",
    "nb02_dense_and_activations",
    "nb03_convolutions",
    "nb04_transposed_convolution",
    "nb05_separable_and_depthwise",
    "nb06_pooling_and_flatten",
    "nb07_batch_normalization",
    "nb08_dropout_and_regularization",
    "nb09_embedding_and_recurrent",
    "nb10_models_and_training",
    "nb11_tf1_to_tf2_migration",
    "nb12_custom_layers_and_transfer_learning",
    "nb13_attention_and_transformers",
    "nb14_architectures_from_the_pieces",
]
