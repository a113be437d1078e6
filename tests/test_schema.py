"""The published JSON Schema: in sync with the model, and useful to editors."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from client_portal.records.model import json_schema


@pytest.fixture(scope="module")
def validator():
    return jsonschema.Draft202012Validator(json_schema(), format_checker=jsonschema.FormatChecker())


def same_meaning(schema: object) -> object:
    """The schema with ``allOf: [{$ref}]`` read as the ``$ref`` beside it, as JSON Schema 2020-12 allows.

    pydantic before 2.9 wraps a reference that has a default in ``allOf``; later releases
    write the reference itself. Both mean the same, and the shipped file comes from the lock.
    """
    if isinstance(schema, list):
        return [same_meaning(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    plain = {key: same_meaning(value) for key, value in schema.items()}
    wrapped = plain.get("allOf")
    if isinstance(wrapped, list) and len(wrapped) == 1 and set(wrapped[0]) == {"$ref"}:
        del plain["allOf"]
        plain["$ref"] = wrapped[0]["$ref"]
    return plain


def test_shipped_schema_file_matches_the_model(root):
    shipped = json.loads((root / "client-record.schema.json").read_text(encoding="utf-8"))
    assert same_meaning(shipped) == same_meaning(json_schema()), "run: client-portal schema > client-record.schema.json"


def test_schema_comparison_reads_a_wrapped_reference_as_the_reference():
    assert same_meaning({"a": {"allOf": [{"$ref": "#/x"}], "default": 1}}) == {"a": {"$ref": "#/x", "default": 1}}
    assert same_meaning({"allOf": [{"$ref": "#/x"}, {"$ref": "#/y"}]}) != same_meaning({"$ref": "#/x"})


def test_schema_is_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(json_schema())


def test_sample_records_pass_the_schema(root, validator):
    paths = sorted((root / "clients").glob("*.yml"))
    assert len(paths) >= 4
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        # YAML gives dates as objects; an editor sees the text, so compare as text
        data = json.loads(json.dumps(data, default=str))
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == [], f"{path.name}: {errors}"


@pytest.mark.parametrize(
    ("record", "words"),
    [
        ({"name": "A", "stage": "live"}, "'live' is not one of"),
        ({"name": "A", "titel": "x"}, "'titel' was unexpected"),
        ({"name": "A", "deliverables": [{"title": "x", "progress": 101}]}, "101 is greater than the maximum"),
        ({"name": "A", "brand": {"accent": "red"}}, "does not match"),
        ({"stage": "active"}, "'name' is a required property"),
    ],
)
def test_schema_rejects_what_the_loader_rejects(validator, record, words):
    # nullable fields are anyOf[..., null]: the telling message is in the error's context
    messages, errors = [], list(validator.iter_errors(record))
    while errors:
        error = errors.pop()
        messages.append(error.message)
        errors.extend(error.context)
    assert any(words in m for m in messages), messages


def test_every_record_field_is_described_in_the_schema():
    properties = json_schema()["properties"]
    assert set(properties) == {
        "name",
        "stage",
        "language",
        "timezone",
        "public_name",
        "contacts",
        "access",
        "calendar",
        "brand",
        "greeting",
        "preferences",
        "deliverables",
        "schedule",
        "requests",
        "suggestions",
        "updates",
        "budget",
        "invoices",
        "proposal",
        "decisions",
    }
