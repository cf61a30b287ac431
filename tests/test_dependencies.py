"""The apps depend on each other one way: common <- audit <- accounts <- consent <-
doctors <- notifications <- consultations <- payments <- privacy <- backoffice <- demo. A
module may import its own layer and the layers below it, never one above, so no cycle can
form and each app can be read without those above it.

Non-test modules only (tests may build data of any app). Both import statements and
app-registry look-ups (`apps.get_model("doctors", ...)`) count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Lowest first. `amrutam.common` is the shared base; the rest of `amrutam` (settings,
# URL map, views) is the project that wires every app together and is not layered.
LAYERS = (
    "amrutam.common",
    "audit",
    "accounts",
    "consent",
    "doctors",
    "notifications",
    "consultations",
    "payments",
    "privacy",
    "backoffice",
    "demo",
)


def _layer(module: str) -> int | None:
    for index, name in enumerate(LAYERS):
        if module == name or module.startswith(name + "."):
            return index
    return None


def _modules(layer: str) -> list[Path]:
    root = REPO.joinpath(*layer.split("."))
    return sorted(
        path
        for path in root.rglob("*.py")
        if not {"tests", "migrations"} & set(path.relative_to(root).parts)
    )


def _imported(source: str, package: str) -> list[tuple[int, str]]:
    """(line, module) of every import and app-registry look-up in `source`, a module of
    `package` (for relative imports)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.append((node.lineno, base))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "get_model"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value.split(".")[0]))
    return found


def _package(path: Path) -> str:
    return ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])


@pytest.mark.parametrize("layer", LAYERS)
def test_no_module_imports_an_app_above_its_own(layer):
    own = LAYERS.index(layer)
    modules = _modules(layer)
    assert modules, f"no modules found for {layer}"

    upward = [
        f"{path.relative_to(REPO)}:{line} imports {module}"
        for path in modules
        for line, module in _imported(path.read_text(), _package(path))
        if (_layer(module) or 0) > own
    ]

    assert upward == []


def test_the_check_sees_an_upward_import():
    # The check above must be able to fail: a module of `audit` importing consultations
    # (absolutely and relatively) and looking up a doctors model by label is caught.
    source = (
        "from consultations.models import Consultation\n"
        "from ..consultations import services\n"
        "from .models import AuditEntry\n"
        "from django.apps import apps\n"
        "apps.get_model('doctors', 'DoctorProfile')\n"
    )

    seen = [(line, name) for line, name in _imported(source, "audit") if (_layer(name) or 0) > 1]

    assert seen == [(1, "consultations.models"), (2, "consultations"), (5, "doctors")]
