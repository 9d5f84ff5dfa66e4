"""The notebooks lead to each other: every link resolves, each ends with the way on, 00 maps them all."""
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
STEMS = sorted(p.stem for p in (ROOT / "solutions").glob("*.ipynb"))
# [text](target): the text may hold `code` (with brackets in it); no backtracking blow-up,
# since a backtick can only start a code span.
MARKDOWN_LINK = re.compile(r"\[(?:[^\[\]`]|`[^`]*`)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"""\bhref\s*=\s*["']([^"']+)["']""")
FIX = ("in solutions/: end each notebook with a Markdown cell '## Where next' linking to the next "
       "notebook ([title](NN_name.ipynb)) and to 00_welcome.ipynb; list every notebook, linked, in "
       "00_welcome's '## The curriculum map' cell; then tflearn-kit release")


def _links(nb):
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            yield from MARKDOWN_LINK.findall(cell.source)
            yield from HTML_LINK.findall(cell.source)


def _relative(target):
    parsed = urlparse(target)
    return None if parsed.scheme or parsed.netloc or not parsed.path else unquote(parsed.path)


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_relative_link_opens_a_file_in_notebooks(path):
    # Resolved from notebooks/ whichever tree the link sits in: the learner follows it there,
    # and solutions/ holds the same names.
    broken = []
    for target in _links(nbformat.read(path, as_version=4)):
        relative = _relative(target)
        if relative is None:
            continue
        resolved = (NOTEBOOKS / relative).resolve()
        if NOTEBOOKS.resolve() not in resolved.parents or not resolved.is_file():
            broken.append(target)
    assert not broken, f"{path.name}: links that open nothing in notebooks/: {broken}"


@pytest.mark.parametrize("stem", STEMS)
def test_each_notebook_ends_with_a_link_to_the_next(stem):
    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    last = nb.cells[-1]
    assert last.cell_type == "markdown" and last.source.startswith("## Where next"), FIX
    targets = [_relative(t) for t in MARKDOWN_LINK.findall(last.source)]
    following = STEMS[STEMS.index(stem) + 1:]
    if following:
        assert f"{following[0]}.ipynb" in targets, FIX
    if stem != "00_welcome":
        assert "00_welcome.ipynb" in targets


def test_the_welcome_map_links_every_notebook_in_order():
    nb = nbformat.read(NOTEBOOKS / "00_welcome.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## The curriculum map"))
    targets = [_relative(t) for t in MARKDOWN_LINK.findall(cell.source)]
    assert targets == [f"{stem}.ipynb" for stem in STEMS], FIX


def test_the_html_coverage_matrix_is_narrow():
    # Issue 18: the full names pushed the tf.keras column past JupyterLab's output area at
    # 1280 px. Checked by eye in Chromium; here, what made it narrow.
    from tflearn_kit.coverage import coverage_matrix
    page = coverage_matrix()._repr_html_()
    assert "<a href='02_dense_and_activations.ipynb' title='02_dense_and_activations'>02</a>" in page
    assert "<td style='text-align:left'>tf.compat.v1.layers." not in page
    assert "<td style='text-align:left'>tf.keras.layers." not in page
    assert "max-width:22em" in page
    cells = re.findall(r"<td[^>]*>(.*?)</td>", page)
    longest_word = max(len(w) for c in cells for w in re.sub(r"<[^>]+>", "", c).split())
    # A dotted name cannot wrap; "tf.keras.layers.GlobalAveragePooling1D" (38) did not fit.
    assert longest_word <= len("tf.contrib.layers.layer_norm")
