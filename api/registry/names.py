"""Field types of the part-1 command requests: names, descriptions and free-form JSON objects.

They state in OpenAPI (and check at the front end) what the domain checks again: a name is one
line of at most ``MAX_NAME_LENGTH`` characters without surrounding spaces.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from domain.commands.arguments import MAX_NAME_LENGTH

__all__ = ["Description", "JsonObject", "Name", "Names", "TextMap"]

Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        pattern=r"^\S(?:.*\S)?$",
        description=f"a name: one line of 1 to {MAX_NAME_LENGTH} characters, "
        "without surrounding spaces",
    ),
]
Names = Annotated[list[Name], Field(max_length=1000)]
Description = Annotated[str, Field(min_length=1, max_length=2000)]
JsonObject = Annotated[dict[str, Any], Field(description="a JSON object")]
TextMap = Annotated[
    dict[Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH)], str],
    Field(max_length=1000, description="names to texts"),
]
