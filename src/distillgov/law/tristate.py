"""Kleene's strong three-valued logic.

Legal facts are often simply not known. Kleene's connectives give the only answers that stay true
whichever way an unknown turns out: `False and Unknown` is False because no completion can make it
true, while `True and Unknown` stays Unknown. This is what lets the engine say "uncertain — depends
on X" instead of guessing, and it is monotone: learning less can never make an answer more certain.
"""

from __future__ import annotations

from enum import Enum


class Tri(Enum):
    """A truth value that may be unknown."""

    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"

    @staticmethod
    def of(value: bool) -> Tri:
        return Tri.TRUE if value else Tri.FALSE

    def __invert__(self) -> Tri:
        if self is Tri.UNKNOWN:
            return self
        return Tri.FALSE if self is Tri.TRUE else Tri.TRUE

    def __and__(self, other: Tri) -> Tri:
        if Tri.FALSE in (self, other):
            return Tri.FALSE
        if Tri.UNKNOWN in (self, other):
            return Tri.UNKNOWN
        return Tri.TRUE

    def __or__(self, other: Tri) -> Tri:
        if Tri.TRUE in (self, other):
            return Tri.TRUE
        if Tri.UNKNOWN in (self, other):
            return Tri.UNKNOWN
        return Tri.FALSE
