"""The documentation site's sources, with its reference pages written from the code.

Usage: python scripts/docs_reference.py OUT_DIR
Copies docs/ into OUT_DIR (and the README's screenshots beside the pages), then writes
the reference: the record format from the record's JSON Schema, the commands from the
command line itself, the settings from the settings model. Nothing generated is kept
in git, so the reference cannot drift from the code it describes. `make docs` builds
OUT_DIR/zensical.toml next.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel

from client_portal.commands.cli import main as cli
from client_portal.records.model import json_schema
from client_portal.settings import PortalOptions

ROOT = Path(__file__).resolve().parent.parent
NOTICE = "<!-- Written by scripts/docs_reference.py from the code; edit the code, not this page. -->"
# The parts of a record in the order the record lists them, after the record itself.
PARTS = ["Contact", "Access", "CalendarFeed", "Brand", "Deliverable", "ScheduleItem", "Request", "Suggestion"]
PARTS += ["Update", "Budget", "TrackedHours"]  # budget.hours: how imported hours count
PARTS += ["Invoice", "Proposal", "Estimate", "Rate", "Payment", "Deposit", "PaymentMilestone", "Phase"]
PARTS += ["Decision"]  # written by `client-portal inbox`
FORMATS = {
    "date": "date, `2026-11-23`",
    "date-time": "date and time, `2026-12-03T15:00:00+01:00`",
    "uri": "http(s) URL",
}


def cell(text: str) -> str:
    """Text that stays in one table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def escaped(text: str) -> str:
    """Text that Markdown shows as written: `clients/<id>.yml` holds no HTML tag."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(value: Any) -> str:
    """A value as the YAML a record would hold."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list | dict):
        return "`[]`" if value == [] else f"`{json.dumps(value, ensure_ascii=False)}`"
    return f"`{value}`"


def inline_code(text: str) -> str:
    """Text as code that also stays in one table cell: a "|" would end the cell, a "\\|" would show."""
    if "|" not in text:
        return f"`{text}`"
    return "<code>" + escaped(text).replace("|", "&#124;") + "</code>"


def number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else str(value)


def schema_type(schema: dict[str, Any]) -> str:
    """A schema as a reader would say it: "text, 1 to 300 characters", "one of `a`, `b`"."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{readable(name)}](#{readable(name).lower().replace(' ', '-')})"
    options = [option for option in schema.get("anyOf", []) if option.get("type") != "null"]
    if options:
        kinds = {option.get("type") for option in options}
        if kinds == {"number", "string"}:  # a Decimal: a YAML number, kept exact
            numeric = next(option for option in options if option.get("type") == "number")
            return f"number, {number(numeric['minimum'])} to {number(numeric['maximum'])}, exact decimals"
        return " or ".join(schema_type(option) for option in options)
    if "enum" in schema:
        return "one of " + ", ".join(code(value) for value in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        items = schema_type(schema["items"])
        most = f" (at most {number(schema['maxItems'])})" if "maxItems" in schema else ""
        return f"list of {items}{most}"
    if kind == "boolean":
        return "`true` or `false`"
    if kind == "integer":
        return f"whole number, {number(schema['minimum'])} to {number(schema['maximum'])}"
    if kind == "string":
        return string_type(schema)
    raise ValueError(f"no wording for the schema {schema!r}")


def string_type(schema: dict[str, Any]) -> str:
    if "format" in schema:
        return FORMATS[schema["format"]]
    words = "Markdown" if schema.get("description") == "Markdown" else "text"
    low, high = schema.get("minLength"), schema.get("maxLength")
    if high is not None:
        words += f", {low} to {number(high)} characters" if low else f", up to {number(high)} characters"
    if "pattern" in schema:
        words += f", matching {inline_code(schema['pattern'])}"
    if "examples" in schema:
        words += " (such as " + ", ".join(code(example) for example in schema["examples"]) + ")"
    return words


def described(schema: dict[str, Any], parts: dict[str, Any]) -> str:
    """A field's own description (not the "Markdown" its type carries), else that of the part it holds."""
    if "description" in schema:
        return escaped(str(schema["description"]))
    refs = [option["$ref"] for option in [schema, *schema.get("anyOf", [])] if "$ref" in option]
    return escaped(str(parts[refs[0].rsplit("/", 1)[-1]].get("description", ""))) if refs else ""


def field_rows(model: dict[str, Any], parts: dict[str, Any]) -> Iterator[str]:
    required = set(model.get("required", []))
    yield "| field | type | required | default | description |"
    yield "|---|---|---|---|---|"
    for name, field in model["properties"].items():
        default = "" if name in required or "default" not in field else code(field["default"])
        if isinstance(field.get("default"), dict):  # a whole part by default: its own defaults say it
            default = "its fields' defaults"
        yes = "yes" if name in required else "no"
        yield f"| `{name}` | {cell(schema_type(field))} | {yes} | {cell(default)} | {cell(described(field, parts))} |"


def records_page() -> str:
    """The record format, every field, from the JSON Schema the editors and `check` use."""
    schema = json_schema()
    parts = schema["$defs"]
    missing = sorted(set(parts) - set(PARTS))
    if missing:
        raise ValueError(f"the record has parts this page does not place yet: {missing}; add them to PARTS")
    lines = [
        "# Record format",
        "",
        NOTICE,
        "",
        "One file per client, `clients/<id>.yml`; the file name is the client id (lowercase letters, digits,",
        "hyphens). Unknown keys, duplicate keys, values out of range and impossible dates are errors,",
        "reported by `client-portal check` at their line. Editors that speak the YAML language server",
        "validate and complete records from the JSON Schema (`client-portal schema` prints it):",
        "put `# yaml-language-server: $schema=../client-record.schema.json` on the first line.",
        "[Write a record](../how-to/records.md) shows every field in use.",
        "",
        "## Record",
        "",
        escaped(schema["description"]) + ".",
        "",
        *field_rows(schema, parts),
    ]
    for name in PARTS:
        part = parts[name]
        lines += ["", f"## {readable(name)}", "", part["description"], "", *field_rows(part, parts)]
    return "\n".join(lines) + "\n"


def readable(name: str) -> str:
    """A part's heading in the user's words: ``ScheduleItem`` is "Schedule item"."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).capitalize()


def option_type(field: Any) -> str:
    annotation = str(field.annotation).replace("typing.", "").replace("datetime.", "")
    words = {
        "<class 'str'>": "text",
        "<class 'bool'>": "`true` or `false`",
        "str | dict[str, str]": "text, or one text per language",
        "date | str | None": "date, `2026-11-23`",
    }
    return words.get(annotation, annotation)


def settings_rows(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    for name, field in model.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            yield from settings_rows(field.annotation, f"{prefix}{name}.")
            continue
        default = field.get_default(call_default_factory=True)
        shown = "empty" if default in ("", None) else code(default)
        yield f"| `{prefix}{name}` | {cell(option_type(field))} | {shown} | {cell(escaped(field.description or ''))} |"


def settings_page() -> str:
    """The `client-portal` settings, from the model that checks them for every generator."""
    lines = [
        "# Settings",
        "",
        NOTICE,
        "",
        "The `client-portal` entry of `mkdocs.yml` (under `plugins:`) or of `zensical.toml`",
        "(`[project.plugins.client-portal]`, with `[project.plugins.client-portal.freelancer]`).",
        "`client-portal build --set OPTION=VALUE` sets any of them from the command line, over the file's.",
        "Unknown options are errors that name the nearest valid one.",
        "",
        "| setting | type | default | description |",
        "|---|---|---|---|",
        *settings_rows(PortalOptions),
        "",
        "The same settings in use, with comments: [Configure your portal](../how-to/configure.md).",
    ]
    return "\n".join(lines) + "\n"


def option_line(option: click.Parameter, context: click.Context) -> str:
    """One option or argument: how it is written, and what it does."""
    record = option.get_help_record(context) if isinstance(option, click.Option) else None
    if record is None:  # an argument: click gives them no help of their own
        return f"- `{option.make_metavar(context)}` (argument)"
    written, text = record
    return f"- `{written}`: {text}" if text else f"- `{written}`"


def commands_page() -> str:
    """Every command of `client-portal`, from the command line's own help."""
    root = click.Context(cli, info_name="client-portal")
    lines = [
        "# Commands",
        "",
        NOTICE,
        "",
        "Every command exits 0 on success, 1 when it found problems and 2 on a usage error,",
        "and takes `--config PATH` (default `mkdocs.yml`, else `zensical.toml`).",
        "`client-portal COMMAND --help` prints the same text.",
    ]
    for name in cli.list_commands(root):
        command = cli.get_command(root, name)
        assert command is not None
        lines += command_lines(name, command, root)
    return "\n".join(lines) + "\n"


def command_lines(name: str, command: click.Command, parent: click.Context) -> list[str]:
    """One command's section; a group of commands (`hours`) has one for each of its commands."""
    context = click.Context(command, info_name=name.rsplit(" ", 1)[-1], parent=parent)
    if isinstance(command, click.Group):
        lines = []
        for sub in command.list_commands(context):
            found = command.get_command(context, sub)
            assert found is not None
            lines += command_lines(f"{name} {sub}", found, context)
        return lines
    usage = " ".join(command.collect_usage_pieces(context))
    lines = ["", f"## {name}", "", "```", f"client-portal {name} {usage}".rstrip(), "```", ""]
    lines.append(command.help or "")
    shown = [p for p in command.get_params(context) if p is not command.get_help_option(context)]
    options = [option_line(p, context) for p in shown]
    if options:
        lines += ["", *options]
    return lines


PAGES = {"records.md": records_page, "commands.md": commands_page, "settings.md": settings_page}


def write_reference(folder: Path) -> list[Path]:
    """Write the generated reference pages into ``folder``; returns what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, page in PAGES.items():
        path = folder / name
        path.write_text(page(), encoding="utf-8")
        written.append(path)
    return written


def prepare(out: Path) -> None:
    """OUT_DIR as the site generator reads it: the hand-written pages, the screenshots and the reference."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(ROOT / "docs", out, ignore=shutil.ignore_patterns("site", "__pycache__"))
    shutil.copytree(ROOT / "screenshots", out / "src" / "screenshots")
    write_reference(out / "src" / "reference")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    prepare(Path(sys.argv[1]))
