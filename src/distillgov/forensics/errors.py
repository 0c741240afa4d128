"""The one error type of forensics: a test that cannot be run honestly must say why, not return a number."""

from __future__ import annotations


class ForensicsError(Exception):
    """Input that would make a p-value meaningless (or impossible): the message says what is needed."""
