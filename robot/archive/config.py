"""Typed reads from an archive settings table that fail with ConfigError naming the key and what was expected."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from robot.config_error import ConfigError

_MISSING: Any = object()


@dataclass(frozen=True)
class Table:
    """One (possibly nested) settings table and the dotted prefix of its keys, for error messages."""

    data: Mapping[str, Any]
    prefix: str = ""

    @classmethod
    def of(cls, data: Any, prefix: str = "") -> Table:
        if not isinstance(data, Mapping) or not all(isinstance(key, str) for key in data):
            raise ConfigError(prefix.rstrip(".") or "-", "a table")
        return cls(data, prefix)

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def only(self, *names: str) -> None:
        """Refuse keys that are not `names`, so a typo is an error and not a silently ignored setting."""
        for key in self.data:
            if key not in names:
                raise ConfigError(self.key(key), f"no such key (known: {', '.join(sorted(names))})")

    def has(self, name: str) -> bool:
        return name in self.data

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        if name not in self.data:
            if default is _MISSING:
                raise ConfigError(self.key(name), "a value (the key is required)")
            return default
        return self.data[name]

    def string(self, name: str, default: Any = _MISSING, *, choices: tuple[str, ...] = ()) -> str:
        value = self.raw(name, default)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(self.key(name), f"a non-empty string, got {_shown(value)}")
        if choices and value not in choices:
            raise ConfigError(self.key(name), f"one of {', '.join(map(repr, choices))}, got {value!r}")
        return value

    def optional_string(self, name: str) -> str | None:
        if self.raw(name, None) is None:
            return None
        return self.string(name)

    def text(self, name: str, default: str) -> str:
        """A string that may be empty (such as a dotted path meaning 'the top level')."""
        value = self.raw(name, default)
        if not isinstance(value, str):
            raise ConfigError(self.key(name), f"a string, got {_shown(value)}")
        return value

    def number(self, name: str, default: float, *, minimum: float = 0.0, maximum: float = 3600.0) -> float:
        """A number from `minimum` to `maximum` (nan and inf are refused)."""
        value = self.raw(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not minimum <= value <= maximum:
            raise ConfigError(self.key(name), f"a number of at least {minimum:g} and at most {maximum:g}, "
                                              f"got {_shown(value)}")
        return float(value)

    def integer(self, name: str, default: int, *, minimum: int = 0, maximum: int = 100) -> int:
        value = self.raw(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise ConfigError(self.key(name), f"a whole number of at least {minimum} and at most {maximum}, "
                                              f"got {_shown(value)}")
        return value

    def integers(self, name: str, default: tuple[int, ...]) -> tuple[int, ...]:
        value = self.raw(name, list(default))
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ConfigError(self.key(name), f"a list of whole numbers, got {_shown(value)}")
        return tuple(value)

    def scalars(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        """A list of strings, numbers or booleans, each turned into the text a JSON value compares as."""
        value = self.raw(name, list(default))
        if not isinstance(value, list) or not value or not all(isinstance(v, (str, int, float)) for v in value):
            raise ConfigError(self.key(name), f"a non-empty list of strings, got {_shown(value)}")
        return tuple(scalar_text(v) for v in value)

    def sub(self, name: str) -> Table:
        return Table.of(self.raw(name), self.key(name) + ".")

    def optional_sub(self, name: str) -> Table | None:
        if self.raw(name, None) is None:
            return None
        return self.sub(name)


def scalar_text(value: object) -> str:
    """The comparable text of a JSON scalar: booleans as true/false, everything case-folded and trimmed."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().casefold()


def _shown(value: object) -> str:
    if value is _MISSING:
        return "nothing"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
