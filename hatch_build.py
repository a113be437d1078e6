"""The wheel's message catalogs, compiled when it is built: each ``messages.po`` as a ``.mo`` beside it.

Every process that builds pages would otherwise compile the catalogs it needs from their
``.po`` files. A compiled catalog is named for the ``.po`` it was compiled from
(``messages-<sha256>.mo``, as `client_portal.i18n.compiled_name` says), so a page never
reads one that a changed ``.po`` left behind; a source checkout, which has none, compiles
each ``.po`` once a process.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGES = Path("plugins")  # where the wheel's packages are, as [tool.hatch.build.targets.wheel] says
LOCALES = PACKAGES / "client_portal" / "locales"


class CompiledCatalogs(BuildHookInterface):  # type: ignore[type-arg]
    """Adds ``client_portal/locales/<language>/LC_MESSAGES/messages-<sha256>.mo`` to the wheel."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Compile every catalog into a folder of the build's own and add each file to the wheel."""
        if version == "editable":  # an editable install is a source checkout: it compiles at run time
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        self._compiled = tempfile.TemporaryDirectory()
        root = Path(self.root)
        for po in sorted((root / LOCALES).glob("*/LC_MESSAGES/messages.po")):
            text = po.read_bytes()
            # as client_portal.i18n compiles it at run time
            catalog = read_po(io.BytesIO(text), locale=po.parent.parent.name)
            compiled = io.BytesIO()
            write_mo(compiled, catalog)
            name = f"messages-{hashlib.sha256(text).hexdigest()[:16]}.mo"
            in_wheel = po.parent.relative_to(root / PACKAGES) / name
            target = Path(self._compiled.name) / in_wheel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(compiled.getvalue())
            build_data["force_include"][str(target)] = str(in_wheel)

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the compiled catalogs' folder: they are in the wheel now."""
        compiled = getattr(self, "_compiled", None)
        if compiled is not None:
            compiled.cleanup()
