"""The coverage matrix: one row per layer of the course, computed from the kit as it is."""
import re
from pathlib import Path

import pytest

import tflearn_kit as kit
from tflearn_kit import coverage
from tflearn_kit.coverage import NOTEBOOKS, coverage_matrix, curriculum

# Written out here, from the issues, rather than read from coverage.ENTRIES.
COURSE_LAYERS = [
    "Dense", "Activation", "Softmax", "ReLU", "LeakyReLU",
    "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D",
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "Flatten", "Reshape", "BatchNormalization", "LayerNormalization", "Dropout",
    "Embedding", "SimpleRNN", "LSTM", "GRU", "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell",
    "StackedRNNCells", "TimeDistributed",
    "Sequential", "Model",
    "MultiHeadAttention", "EinsumDense", "Attention", "AdditiveAttention", "GroupQueryAttention",
    "RMSNormalization", "UnitNormalization", "PositionEmbedding",
    "GroupNormalization", "UpSampling2D", "ZeroPadding2D", "Cropping2D", "Concatenate",
    "Bidirectional", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
]

# Keras core has no such layer: the column says so and names what stands in for it.
NO_KERAS_CORE_LAYER = {"PositionEmbedding": "tf.keras.layers.Embedding over positions"}

# What tf.compat.v1.layers really had (tf_keras's legacy module is checked below too).
TF1_LAYERS = {
    "Dense": "dense", "Conv1D": "conv1d", "Conv2D": "conv2d", "Conv3D": "conv3d",
    "Conv2DTranspose": "conv2d_transpose", "Conv3DTranspose": "conv3d_transpose",
    "SeparableConv1D": "separable_conv1d", "SeparableConv2D": "separable_conv2d",
    "MaxPooling1D": "max_pooling1d", "MaxPooling2D": "max_pooling2d", "MaxPooling3D": "max_pooling3d",
    "AveragePooling1D": "average_pooling1d", "AveragePooling2D": "average_pooling2d",
    "AveragePooling3D": "average_pooling3d", "BatchNormalization": "batch_normalization",
    "Dropout": "dropout", "Flatten": "flatten",
}


@pytest.fixture(scope="module")
def matrix():
    return coverage_matrix()


def test_one_row_per_course_layer_in_order(matrix):
    assert [r["layer"] for r in matrix.rows] == COURSE_LAYERS


def test_every_row_has_every_column(matrix):
    for r in matrix.rows:
        assert set(r) == set(coverage.COLUMNS)
        assert all(isinstance(v, str) and v for v in r.values()), r


def test_dense_is_in_the_kit(matrix):
    assert matrix.row("Dense")["in the kit"] == "yes"
    assert matrix.row("Softmax")["in the kit"] == "yes"


def test_a_layer_not_yet_written_is_not_in_the_kit(matrix, monkeypatch):
    # Remove a layer from the kit for this test only: the column must follow.
    monkeypatch.delattr(kit.layers, "LeakyReLU")
    assert coverage_matrix().row("LeakyReLU")["in the kit"] == "not yet"


def test_in_the_kit_follows_tflearn_kit_layers(matrix):
    for r in matrix.rows:
        if r["layer"] in ("Sequential", "Model"):
            continue
        has = isinstance(getattr(kit.layers, r["layer"], None), type)
        assert (r["in the kit"] == "yes") == has, r["layer"]


def test_every_notebook_named_exists_or_is_marked_planned(matrix):
    root = coverage.project_root(Path(__file__).parent)
    for r in matrix.rows:
        name = r["notebook"].removesuffix(" (planned)")
        assert name in NOTEBOOKS, r
        exists = (root / "solutions" / f"{name}.ipynb").exists() or (
            root / "notebooks" / f"{name}.ipynb").exists()
        assert r["notebook"].endswith("(planned)") != exists, r


def test_planned_when_the_notebook_is_missing(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "02_dense_and_activations.ipynb").write_text("{}")
    rows = coverage_matrix(tmp_path)
    assert rows.row("Dense")["notebook"] == "02_dense_and_activations"
    assert rows.row("Conv2D")["notebook"] == "03_convolutions (planned)"


def test_tf_layers_column_names_what_tf1_had(matrix):
    for r in matrix.rows:
        if r["layer"] in TF1_LAYERS:
            assert r["tf.layers twin"] == f"tf.compat.v1.layers.{TF1_LAYERS[r['layer']]}"
        else:
            assert r["tf.layers twin"].startswith("none: "), r


def test_every_tf_layers_twin_exists_in_the_legacy_module(matrix):
    from tflearn_kit.reference.tf import modules
    _, _, legacy = modules()
    for r in matrix.rows:
        twin = r["tf.layers twin"]
        if twin.startswith("tf.compat.v1.layers."):
            assert callable(getattr(legacy, twin.rsplit(".", 1)[1], None)), twin


def test_every_keras_twin_exists_in_keras_3(matrix):
    from tflearn_kit.reference.tf import modules
    tf, _, _ = modules()
    for r in matrix.rows:
        if r["layer"] in NO_KERAS_CORE_LAYER:
            assert r["tf.keras twin"].startswith("none: Keras core has no position layer")
            assert NO_KERAS_CORE_LAYER[r["layer"]] in r["tf.keras twin"]
            assert not hasattr(tf.keras.layers, r["layer"])
            continue
        path = r["tf.keras twin"].split(".")
        assert path[:2] == ["tf", "keras"], r
        obj = tf
        for part in path[1:]:
            obj = getattr(obj, part)
        assert isinstance(obj, type), r


def test_registered_twins_agree_with_the_matrix(matrix):
    """The matrix's twin columns are the registry's (one place names them), and every layer has one."""
    from tflearn_kit.reference import all_twins
    twins = all_twins()
    for r in matrix.rows:
        if r["layer"] in ("Sequential", "Model") + coverage.CELLS:   # cells: compared inside RNN
            continue
        twin = twins[r["layer"]]
        assert (r["tf.layers twin"], r["tf.keras twin"]) == (twin.tf1_column, twin.keras_name), r
        if r["layer"] in TF1_LAYERS:
            assert twin.tf1 is not None, r["layer"]


def test_the_course_folder_is_found_from_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "03_convolutions.ipynb").write_text("{}")
    (tmp_path / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "deep" / "er")
    assert coverage.project_root() == tmp_path
    assert coverage.coverage_matrix().row("Conv2D")["notebook"] == "03_convolutions"
    monkeypatch.chdir("/")
    assert coverage.project_root() is None


def test_markdown_has_a_row_per_layer(matrix):
    md = matrix.to_markdown()
    lines = md.strip().splitlines()
    assert lines[0] == "| layer | notebook | in the kit | tf.layers twin | tf.keras twin |"
    assert re.fullmatch(r"\|(---\|){5}", lines[1])
    body = lines[2:]
    assert [line.split("|")[1].strip() for line in body] == COURSE_LAYERS
    assert all(line.count("|") == 6 for line in body)


def test_text_and_html_have_a_row_per_layer(matrix):
    text = matrix.to_text().splitlines()
    assert len(text) == 2 + len(COURSE_LAYERS) + 1
    assert text[-1] == matrix.summary()
    page = matrix._repr_html_()
    assert page.count("<tr>") == 1 + len(COURSE_LAYERS)


def test_attention_rows_say_tf1_wrote_it_by_hand(matrix):
    for name in ("MultiHeadAttention", "Attention"):
        assert "tf.matmul + tf.nn.softmax" in matrix.row(name)["tf.layers twin"]


def test_curriculum_lists_the_fifteen_notebooks_in_order():
    rows = curriculum().rows
    assert [r["notebook"] for r in rows] == [
        "00_welcome", "01_layer_anatomy", "02_dense_and_activations", "03_convolutions",
        "04_transposed_convolution", "05_separable_and_depthwise", "06_pooling_and_flatten",
        "07_batch_normalization", "08_dropout_and_regularization", "09_embedding_and_recurrent",
        "10_models_and_training", "11_tf1_to_tf2_migration",
        "12_custom_layers_and_transfer_learning", "13_attention_and_transformers",
        "14_architectures_from_the_pieces",
    ]
    by_name = {r["notebook"]: r for r in rows}
    assert by_name["02_dense_and_activations"]["layers"][0] == "Dense"
    assert all(r["status"] in ("available", "planned") for r in rows)
