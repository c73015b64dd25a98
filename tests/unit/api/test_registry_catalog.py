"""The command registry: every domain command declared once, each name and path unique."""

from __future__ import annotations

import re
from collections import Counter

from api.registry.catalog import COMMANDS, SHARED_COMMANDS, UNSERVED_COMMANDS, spec_named
from api.registry.spec import Request, Response
from domain.rules.roles import ALLOWED_ROLES, Command

KEBAB = re.compile(r"[a-z]+(-[a-z]+)*")


def test_names_are_unique_and_kebab_case() -> None:
    names = [spec.name for spec in COMMANDS]

    assert [name for name, count in Counter(names).items() if count > 1] == []
    assert [name for name in names if not KEBAB.fullmatch(name)] == []


def test_paths_are_unique_and_absolute() -> None:
    paths = [spec.path for spec in COMMANDS]

    assert [path for path, count in Counter(paths).items() if count > 1] == []
    assert all(path.startswith("/") and not path.endswith("/") for path in paths)


def test_every_domain_command_is_served_by_exactly_one_spec_but_the_listed_exemptions() -> None:
    served: dict[Command, frozenset[str]] = {}
    for spec in COMMANDS:
        served[spec.command] = served.get(spec.command, frozenset()) | {spec.name}

    for command in Command:
        if command in UNSERVED_COMMANDS:
            assert command not in served, command
        elif command in SHARED_COMMANDS:
            assert served.get(command) == SHARED_COMMANDS[command], command
        else:
            assert len(served.get(command, ())) == 1, (command, served.get(command))


def test_each_spec_has_models_a_summary_and_the_domain_roles() -> None:
    for spec in COMMANDS:
        assert issubclass(spec.request, Request), spec.name
        assert issubclass(spec.response, Response), spec.name
        assert spec.summary, spec.name
        assert "\n" not in spec.summary, spec.name
        assert spec.status_code in (200, 201), spec.name
        assert spec.roles == ALLOWED_ROLES[spec.command], spec.name


def test_the_part_one_table_is_served_as_fixed() -> None:
    table = {
        "register-principal": ("/principals", Command.REGISTER_PRINCIPAL, 201),
        "grant-role": ("/principals/roles/grant", Command.GRANT_ROLE, 200),
        "revoke-role": ("/principals/roles/revoke", Command.REVOKE_ROLE, 200),
        "register-key": ("/principals/keys", Command.REGISTER_KEY, 201),
        "revoke-key": ("/principals/keys/revoke", Command.REVOKE_KEY, 200),
        "set-policy": ("/policy", Command.SET_POLICY, 200),
        "register-dataset": ("/datasets", Command.REGISTER_DATASET, 201),
        "add-dataset-version": ("/datasets/versions", Command.ADD_DATASET_VERSION, 201),
        "register-model": ("/models", Command.REGISTER_MODEL, 201),
        "record-model-version": ("/models/versions", Command.TRAIN_MODEL_VERSION, 201),
        "train-model-version": ("/models/versions/train", Command.TRAIN_MODEL_VERSION, 201),
    }

    for name, (path, command, status) in table.items():
        spec = spec_named(name)
        assert (spec.path, spec.command, spec.status_code) == (path, command, status), name
    assert spec_named("train-model-version").needs_ml
    assert not spec_named("record-model-version").needs_ml


def test_a_request_refuses_unknown_fields() -> None:
    request = spec_named("register-dataset").request

    assert request.model_json_schema()["additionalProperties"] is False
