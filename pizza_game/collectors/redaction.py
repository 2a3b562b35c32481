"""Keeping keys out of text: a wrapper that never prints its value, and a scrubber for messages."""

from __future__ import annotations

from collections.abc import Iterable

MASK = "***"


class Secret:
    """A credential whose repr and str are masked; ``reveal()`` is the only way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{MASK}')"

    __str__ = __repr__

    def __reduce__(self) -> tuple:
        raise TypeError("a Secret is not picklable: pass the environment variable, not the value")


def redact(text: str, secrets: Iterable[Secret | str]) -> str:
    """``text`` with every occurrence of each (non-empty) secret replaced by ***."""
    for secret in secrets:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value:
            text = text.replace(value, MASK)
    return text
