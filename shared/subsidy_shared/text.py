"""Human-entered text, one rule for every service: what PostgreSQL can store, and no control characters.

PostgreSQL `text` and `jsonb` hold neither the NUL character nor an unpaired surrogate; a request that carries
one is a 422 naming the field, never a failed INSERT. Bodies, query parameters, multipart file names and
registry import lines all ask `unstorable_text`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, Field

UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")
# Tab, line feed and carriage return are how people write notes; every other C0/C1 control is not text.
_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile("[\t\n\r\u2028\u2029]")


def unstorable_text(value: str) -> str | None:
    """Why PostgreSQL could not store `value` (never quoting it), or None."""
    if UNSTORABLE_TEXT.search(value):
        return "text holds a NUL character or an unpaired surrogate, which cannot be stored"
    return None


def text_problem(value: str) -> str | None:
    """Why `value` is not text a person wrote (unstorable, or a control character), or None."""
    return unstorable_text(value) or ("text holds a control character" if _CONTROL.search(value) else None)


def line_problem(value: str) -> str | None:
    """As text_problem, and a line break or tab is one too: for names, labels, file names, parameters."""
    return text_problem(value) or ("one line only: no tab or line break" if _LINE_BREAK.search(value) else None)


def _raising(problem: Callable[[str], str | None]) -> Callable[[str], str]:
    def check(value: str) -> str:
        reason = problem(value)
        if reason is not None:
            raise ValueError(reason)
        return value

    return check


# A note or reason (may run over several lines); bound its length where it is used:
# `Annotated[Text, Field(max_length=200)]`.
Text = Annotated[str, AfterValidator(_raising(text_problem))]
# A label, a bank's name, a search term, a query parameter: one line.
Line = Annotated[str, AfterValidator(_raising(line_problem))]

Reason = Annotated[Text, Field(min_length=1, max_length=2000)]
Note = Annotated[Text, Field(max_length=200)]
