"""What a client saw of an item when deciding on it, as one SHA-256.

A decision line carries this fingerprint, and `client-portal inbox` computes it again from
the record as it is now: when the two differ, the item changed after the client saw it,
and the decision is recorded as made on an earlier version. The fingerprint covers the
item's fields as the page shows them (Markdown as rendered, attached files by their
SHA-256, the date fields themselves), never what depends on the day the page is opened
("due in 3 days"), so the same item gives the same fingerprint on any day.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from client_portal.page.markdown_text import render_markdown
from client_portal.records.model import Record

# Fields a reader sees rendered from Markdown.
_MARKDOWN = frozenset({"notes", "body", "text", "greeting", "includes", "excludes", "terms"})


def decision_items(record: Record) -> list[str]:
    """Every item of the record a client can decide on: ``proposal``, ``deliverable/<id>``, ``idea/<id>``."""
    items = ["proposal"] if record.stage == "prospect" else []
    items += [f"deliverable/{d.key}" for d in record.deliverables]
    items += [f"idea/{s.key}" for s in record.suggestions]
    return items


def item_fingerprint(record: Record, item: str, file_digests: Mapping[str, str] | None = None) -> str | None:
    """The SHA-256 (base64url) of ``item`` as the page shows it; None when the record has no such item.

    ``file_digests`` maps an attached file's path to its SHA-256, as the page shows it.
    """
    shown = _shown(record, item, file_digests or {})
    if shown is None:
        return None
    canonical = json.dumps(shown, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _shown(record: Record, item: str, file_digests: Mapping[str, str]) -> dict[str, Any] | None:
    kind, _, key = item.partition("/")
    # warnings=False: pydantic wrongly warns about `date | None` fields with a PlainValidator; their JSON is right
    if kind == "deliverable":
        found = next((d for d in record.deliverables if d.key == key), None)
        if found is None:
            return None
        shown = _rendered(found.model_dump(mode="json", exclude={"id"}, warnings=False))
        shown["files"] = [[path, file_digests.get(path, "")] for path in found.files]
        return {"deliverable": shown}
    if kind == "idea":
        idea = next((s for s in record.suggestions if s.key == key), None)
        return (
            None if idea is None else {"idea": _rendered(idea.model_dump(mode="json", exclude={"id"}, warnings=False))}
        )
    if kind == "proposal" and not key and record.stage == "prospect":
        proposal = getattr(record, "proposal", None)
        return {
            "name": record.name,
            "proposal": _rendered(proposal.model_dump(mode="json", warnings=False)) if proposal is not None else None,
            "budget": record.budget.model_dump(mode="json", warnings=False) if record.budget is not None else None,
        }
    return None


def _rendered(value: Any, name: str = "") -> Any:
    """``value`` with each Markdown field as the page renders it."""
    if isinstance(value, dict):
        return {key: _rendered(item, key) for key, item in value.items()}
    if isinstance(value, list):
        return [_rendered(item, name) for item in value]
    if isinstance(value, str) and name in _MARKDOWN:
        return str(render_markdown(value))
    return value
