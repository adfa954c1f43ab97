"""Request templates and response paths for the HTTP archive: {name} placeholders in, dotted paths out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class Missing:
    """Marks a dotted path that leads nowhere in a response (distinct from a JSON null)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()


def placeholders(template: Any) -> set[str]:
    """Every {name} used anywhere in a template: a string, or strings nested in tables and lists."""
    if isinstance(template, str):
        return set(PLACEHOLDER.findall(template))
    if isinstance(template, Mapping):
        return set().union(*(placeholders(value) for value in template.values())) if template else set()
    if isinstance(template, list):
        return set().union(*(placeholders(value) for value in template)) if template else set()
    return set()


def fill_text(template: str, values: Mapping[str, Any]) -> str:
    """Substitute each {name} in a string by the text of its value."""
    return PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), template)


def fill_json(template: Any, values: Mapping[str, Any]) -> Any:
    """A copy of a JSON template with placeholders filled; a string that is exactly "{name}" takes the value as is
    (so a numeric id stays a number), any other string gets the values' text spliced in."""
    if isinstance(template, str):
        whole = PLACEHOLDER.fullmatch(template)
        if whole is not None:
            return values[whole.group(1)]
        return fill_text(template, values)
    if isinstance(template, Mapping):
        return {key: fill_json(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill_json(value, values) for value in template]
    return template


def fill_path(template: str, values: Mapping[str, Any]) -> str:
    """A URL path (and query) with each value percent-encoded, so no value can add a segment or a parameter."""
    return PLACEHOLDER.sub(lambda match: quote(str(values[match.group(1)]), safe=""), template)


def dig(data: Any, path: str) -> Any:
    """The value at a dotted path ("data.cases", "behandler.email", "items.0.id"; "" is the whole), or MISSING."""
    if path == "":
        return data
    for part in path.split("."):
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return MISSING
    return data
