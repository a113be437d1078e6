"""Imports only point down: shared → records → page → publishing → mail and audit → front ends.

Each module's imports are read from its source (every ``import``, at any depth, type-only
ones too), so a layer cannot lean on one above it without this test naming the line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import client_portal

PACKAGE = Path(client_portal.__file__).parent

# Each package (or top-level module) and its layer; a module may import its own layer and those below.
LAYERS = {
    "client_portal": 0,  # the version
    "client_portal.values": 0,
    "client_portal.collector": 0,
    "client_portal.i18n": 0,
    "client_portal.settings": 0,
    "client_portal.site_config": 0,
    "client_portal.records": 1,
    # imported time entries are part of what a record holds, read with it and summed for its budget
    "client_portal.hours": 1,
    "client_portal.page": 2,
    # the decision lines are signed with the keys publishing derives, and published on its pages
    "client_portal.publishing": 3,
    "client_portal.decisions": 3,
    "client_portal.mail": 4,
    "client_portal.audit": 4,
    "client_portal.commands": 5,
    "client_portal.mkdocs_plugin": 5,
}
ADAPTER = "client_portal.mkdocs_plugin"


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    """The layer of a module of the package: that of the longest entry of LAYERS it lies in."""
    found = [name for name in LAYERS if module == name or module.startswith(name + ".")]
    return LAYERS[max(found, key=len)]


def imports(path: Path, package: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, module) of every import in a source file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = module_name(path, package).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(here[: len(here) - node.level + 1]) if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            found.append((node.lineno, module))
            # `from client_portal.publishing import crypto` imports a module too
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def upward_imports(package: Path = PACKAGE) -> list[str]:
    """Each import of a module in a layer above the importer's own, as ``file:line: importer -> imported``."""
    found = []
    for path in sorted(package.rglob("*.py")):
        importer = module_name(path, package)
        lines = set()  # one finding a statement: `from a import b` names a and a.b
        for line, imported in imports(path, package):
            if imported.split(".")[0] == "client_portal" and layer(imported) > layer(importer) and line not in lines:
                lines.add(line)
                found.append(f"{path.relative_to(package.parent).as_posix()}:{line}: {importer} -> {imported}")
    return found


def mkdocs_imports(package: Path = PACKAGE) -> list[str]:
    """Each import of MkDocs (or its Material theme) outside the MkDocs adapter, as ``file:line: module``."""
    return [
        f"{path.relative_to(package.parent).as_posix()}:{line}: {imported}"
        for path in sorted(package.rglob("*.py"))
        if not module_name(path, package).startswith(ADAPTER)
        for line, imported in imports(path, package)
        if imported.split(".")[0] in ("mkdocs", "material")
    ]


def test_every_folder_of_the_package_has_a_layer():
    folders = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert len(folders) >= 7
    assert {f"client_portal.{folder}" for folder in folders} <= LAYERS.keys()
    assert {f"client_portal.{path.stem}" for path in PACKAGE.glob("*.py") if path.stem != "__init__"} <= LAYERS.keys()


def test_imports_only_point_down():
    assert upward_imports() == []


def test_only_the_mkdocs_adapter_imports_mkdocs():
    assert mkdocs_imports() == []


def write(package: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(source, encoding="utf-8")
    return package


@pytest.mark.parametrize(
    ("importer", "source", "expected"),
    [
        (
            "records/checks.py",
            "from client_portal.page.logo import logo_data_uri\n",
            "records.checks -> client_portal.page",
        ),
        (
            "records/checks.py",
            "def f():\n    from client_portal.publishing import crypto\n",
            ":2: client_portal.records",
        ),
        (
            "page/view.py",
            "if X:\n    from client_portal.publishing.attachments import F\n",
            "-> client_portal.publishing",
        ),
        ("settings.py", "from client_portal.records.model import TimeZone\n", "settings -> client_portal.records"),
        ("publishing/pages.py", "from ..commands import cli\n", "publishing.pages -> client_portal.commands"),
        ("records/model.py", "import client_portal.mail.mail\n", "records.model -> client_portal.mail"),
        ("mail/mail.py", "from client_portal.mkdocs_plugin import plugin\n", "-> client_portal.mkdocs_plugin"),
    ],
)
def test_an_import_that_points_up_is_named(tmp_path, importer, source, expected):
    package = write(tmp_path / "client_portal", {"__init__.py": "", importer: source, "commands/cli.py": source})
    found = upward_imports(package)
    assert len(found) == 1 and found[0].startswith(f"client_portal/{importer}:") and expected in found[0], found


def test_an_import_that_points_down_passes(tmp_path):
    package = write(
        tmp_path / "client_portal",
        {
            "__init__.py": "",
            "commands/cli.py": "from client_portal.publishing import crypto\nimport mkdocs_material_extra\n",
            "publishing/pages.py": "from ..page import view\nfrom . import crypto\nfrom client_portal import records\n",
            "page/view.py": "from client_portal.records.model import Client\nfrom client_portal import settings\n",
            "records/model.py": "from client_portal.values import shown\n",
        },
    )
    assert upward_imports(package) == []
    assert mkdocs_imports(package) == []


def test_mkdocs_outside_the_adapter_is_named(tmp_path):
    package = write(
        tmp_path / "client_portal",
        {
            "__init__.py": "",
            "mkdocs_plugin/plugin.py": "from mkdocs.plugins import BasePlugin\n",
            "site_config.py": "\n\nimport mkdocs.config\n",
            "publishing/site_files.py": "from material.plugins import x\n",
        },
    )
    assert mkdocs_imports(package) == [
        "client_portal/publishing/site_files.py:1: material.plugins",
        "client_portal/publishing/site_files.py:1: material.plugins.x",
        "client_portal/site_config.py:3: mkdocs.config",
    ]
