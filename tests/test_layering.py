"""Dependencies point one way: gui -> devices -> engine; only gui imports Qt."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "engine": ("devices", "gui", "PySide6", "pyqtgraph", "shiboken6"),
    "devices": ("gui", "PySide6", "pyqtgraph", "shiboken6"),
}


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_one_way(package):
    bad = []
    for f in (REPO / package).rglob("*.py"):
        for mod in _imports(f):
            if mod in FORBIDDEN[package]:
                bad.append(f"{f.relative_to(REPO)} imports {mod}")
    assert not bad, bad


def test_top_level_layout_is_the_fixed_one():
    """The product's layout is fixed: no new top-level code or config folders."""
    import subprocess

    try:
        out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    folders = {line.split("/", 1)[0] for line in out.splitlines() if "/" in line}
    allowed = {"gui", "engine", "devices", "resources", "packaging", "tests", "docs", ".ci"}
    assert folders <= allowed, f"unexpected top-level folders: {sorted(folders - allowed)}"
