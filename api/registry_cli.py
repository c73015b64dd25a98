"""The CLI front end of the command registry: one ``govledger <name>`` subcommand per spec.

Each request field is an option named after it (``dataset_id`` -> ``--dataset-id``): a list
is a repeatable option (a value ``[...]`` or ``@FILE`` holding a JSON list adds all its items,
``{...}`` adds an object); an object is JSON text or ``@FILE``; anything else is text the
request model converts (a number, a UUID, an enum member). The request model validates the
whole request, so a bad value is one line naming its option and exit 2, before the ledger is
opened. ``--actor NAME`` is who issues the command, ``--json`` prints the response model.

Exit status (docs/interfaces): 0 done; 1 refused by a rule of the governance process (the
refusal is recorded on the ledger); 2 bad input or configuration (from ``api.cli``).
"""

from __future__ import annotations

import argparse
import enum
import sys
import types
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from api.commands import EXIT_OK
from api.composition import open_ledger
from api.errors import ApiError
from api.files import decode_json, read_bytes
from api.registry.catalog import COMMANDS
from api.registry.spec import AnySpec, CommandContext
from api.settings import Settings
from domain.errors import RuleError

__all__ = ["EXIT_REFUSED", "register"]

EXIT_REFUSED = 1
"""A rule of the governance process refused the command (and the refusal is on the ledger)."""

Handler = Callable[[Settings, argparse.Namespace], int]
Adder = Callable[[str, Handler, str], argparse.ArgumentParser]

_DEST = "request__"


def register(add: Adder) -> None:
    """Add a subcommand for every command of the registry through the CLI's ``add``."""
    for spec in COMMANDS:
        parser = add(spec.name, partial(_run, spec), spec.summary)
        parser.add_argument("--actor", required=True, help="the principal issuing the command")
        parser.add_argument("--json", action="store_true", help="print the answer as JSON")
        if spec.file_argument is not None:
            parser.add_argument(
                "file",
                nargs="?",
                type=Path,
                metavar="FILE",
                help=f"a JSON file holding the {spec.file_argument} "
                f"(the same as --{_option(spec.file_argument)} @FILE)",
            )
        for key, field in _fields(spec):
            _add_option(parser, key, field)


def _fields(spec: AnySpec) -> list[tuple[str, FieldInfo]]:
    """The request's fields by the key a request names them with (the alias where one is)."""
    return [(field.alias or name, field) for name, field in spec.request.model_fields.items()]


def _option(key: str) -> str:
    return key.replace("_", "-")


def _add_option(parser: argparse.ArgumentParser, key: str, field: FieldInfo) -> None:
    kind = _kind(field.annotation)
    text = field.description or key.replace("_", " ")
    members = _members(field.annotation)
    if members:
        text += f" (one of: {', '.join(members)})"
    if kind == "list":
        text += " (repeatable; [...] or @FILE adds a JSON list)"
    elif kind == "object":
        text += " (JSON text, or @FILE)"
    text += " (required)" if field.is_required() else ""
    parser.add_argument(
        f"--{_option(key)}",
        dest=_DEST + key,
        action="append" if kind == "list" else "store",
        metavar="JSON" if kind == "object" else "VALUE",
        help=text.replace("%", "%%"),
    )


def _kind(annotation: Any) -> str:
    """``list``, ``object`` or ``scalar``: how the CLI reads the field's values."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        present = [arg for arg in get_args(annotation) if arg is not type(None)]
        return _kind(present[0]) if len(present) == 1 else "scalar"
    if origin is list:
        return "list"
    if origin is dict or (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return "object"
    return "scalar"


def _members(annotation: Any) -> list[str]:
    """The values of the enum the field (or its list's items) takes; [] if none."""
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [str(member.value) for member in annotation]
    for argument in get_args(annotation):
        found = _members(argument)
        if found:
            return found
    return []


def _run(spec: AnySpec, settings: Settings, arguments: argparse.Namespace) -> int:
    request = _request(spec, arguments)  # before the ledger opens: bad input changes nothing
    ledger = open_ledger(settings, with_ml=spec.needs_ml)
    try:
        context = CommandContext(application=ledger.application, settings=settings)
        response = spec.run(context, arguments.actor, request)
    except RuleError as exc:
        print(f"govledger: error: {' '.join(str(exc).splitlines())}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        ledger.close()
    print(response.model_dump_json() if arguments.json else response.line())
    return EXIT_OK


def _request(spec: AnySpec, arguments: argparse.Namespace) -> Any:
    """The request model built from the options; ApiError naming the option that is wrong."""
    fields = _fields(spec)
    data: dict[str, Any] = {}
    for key, field in fields:
        given = getattr(arguments, _DEST + key)
        if given is None:
            continue
        option = f"--{_option(key)}"
        kind = _kind(field.annotation)
        if kind == "list":
            data[key] = [item for value in given for item in _items(value, option)]
        elif kind == "object":
            data[key] = _json(given, option)
        else:
            data[key] = given
    file = getattr(arguments, "file", None)
    if spec.file_argument is not None and file is not None:
        if spec.file_argument in data:
            option = f"--{_option(spec.file_argument)}"
            raise ApiError(f"give FILE or {option}, not both")
        data[spec.file_argument] = _json(f"@{file}", str(file))
    try:
        return spec.request.model_validate(data)
    except ValidationError as exc:
        raise ApiError(_problems(exc, spec)) from None


def _json(value: str, option: str) -> object:
    """The JSON value of ``value``: read from the file after ``@``, else the text itself."""
    if value.startswith("@"):
        path = Path(value[1:])
        return decode_json(read_bytes(path), str(path))
    return decode_json(value.encode("utf-8", "surrogateescape"), option)


def _items(value: str, option: str) -> list[object]:
    """The items one value of a list option adds."""
    if not value.startswith(("@", "[", "{")):
        return [value]
    found = _json(value, option)
    return found if isinstance(found, list) else [found]


def _problems(exc: ValidationError, spec: AnySpec) -> str:
    """One line naming each option at fault and what is wrong with it."""
    problems = []
    for error in exc.errors():
        location = error.get("loc", ())
        where = f"--{_option(str(location[0]))}" if location else spec.name
        rest = "".join(f"[{part}]" for part in location[1:])
        problems.append(f"{where}{rest}: {error.get('msg')}")
    return "; ".join(problems)
