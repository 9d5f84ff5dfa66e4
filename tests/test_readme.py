"""The README's generated sections are current."""
from pathlib import Path

from tflearn_kit.coverage import README_END, README_START, readme_section

ROOT = Path(__file__).resolve().parents[1]


def test_readme_coverage_matrix_is_current():
    text = (ROOT / "README.md").read_text()
    section = text[text.index(README_START): text.index(README_END) + len(README_END)]
    assert section == readme_section(ROOT), "run: tflearn-kit coverage --update-readme"
