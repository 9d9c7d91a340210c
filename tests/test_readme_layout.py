"""The README's layout section names every module of the package and every tool."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_module_is_in_the_readme_layout() -> None:
    text = ROOT.joinpath("README.md").read_text(encoding="utf-8")
    section = text[text.index("### Layout") : text.index("### Dependencies and why")]
    words = set(re.findall(r"[\w.]+\.py|\w+/", section))
    missing = []
    for path in sorted(
        [*ROOT.joinpath("supervision_audit").rglob("*.py"), *ROOT.joinpath("tools").glob("*.py")]
    ):
        if path.name == "__init__.py" and path.parent.name not in ("supervision_audit",):
            if f"{path.parent.name}/" not in words:
                missing.append(str(path.relative_to(ROOT)))
            continue
        if path.name not in words:
            missing.append(str(path.relative_to(ROOT)))
    assert missing == []
