"""`vidvar config schema`: the JSON Schema generated from the settings declarations."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import jsonschema
import pytest
import yaml

from tests.support import REPO, run_cli
from vidvar.config import schema as settings


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    done = run_cli("config", "schema")
    assert done.returncode == 0, done.stderr
    loaded: dict[str, Any] = json.loads(done.stdout)
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


def test_the_shipped_example_configs_satisfy_the_schema(schema: dict[str, Any]) -> None:
    for path in (REPO / "config" / "vidvar.yaml", REPO / "systemd" / "vidvar.yaml"):
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    assert (
        (REPO / "config" / "vidvar.yaml")
        .read_text()
        .startswith("# yaml-language-server: $schema=vidvar.schema.json\n")
    )


@pytest.mark.parametrize(
    "wrong",
    [
        {"watch": {"inbox": "in", "output": "out", "variations": 500}},
        {"watch": [{"inbox": "in", "output": "out", "observer": "inotify"}]},
        {"watch": {"inbox": "in"}},
        {"watch": {"inbox": "in", "output": "out"}, "web": {"port": 99999}},
        {"watch": {"inbox": "in", "output": "out"}, "wroker": {}},
        {"watch": {"inbox": "in", "output": "out"}, "profiles": {"p": {"effects": {"x": 1}}}},
    ],
)
def test_what_the_reader_refuses_the_schema_refuses(
    schema: dict[str, Any], wrong: dict[str, Any]
) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, schema)


def test_every_setting_is_in_the_schema_with_its_description(schema: dict[str, Any]) -> None:
    sections = {
        "worker": settings.WorkerConfig,
        "retention": settings.RetentionConfig,
        "distinctness": settings.DistinctnessConfig,
        "logging": settings.LoggingConfig,
        "web": settings.WebConfig,
    }
    for key, cls in sections.items():
        properties = schema["properties"][key]["properties"]
        for f in dataclasses.fields(cls):
            assert f.name in properties and properties[f.name]["description"], (key, f.name)
    watch = schema["properties"]["watch"]["anyOf"][1]["properties"]
    assert watch["variations"]["maximum"] == 100 and watch["variations"]["default"] == 5
