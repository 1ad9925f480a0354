"""Registry lines as uploaded (JSON lines or CSV) → validated records, each bad line with its number and why.

Pure: no I/O. A line is `{"source", "record_id", "record_kind", "change", "id_number", "region"?,
"effective_date"?, "facts"?}`; CSV has the same columns with `facts` as a JSON string. Whatever PostgreSQL
could not store (NaN and infinite numbers, the NUL character, unpaired surrogates, facts nested past
`MAX_DEPTH`) and whatever the parsers refuse (a CSV field past its size limit, JSON nested past the
interpreter's recursion limit) is a bad line, never a failed upload.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, NoReturn

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError, model_validator
from subsidy_shared.events import RecordKind
from subsidy_shared.policy.model import MULTIPLE
from subsidy_shared.registry import IN_FORCE_CHANGES
from subsidy_shared.text import unstorable_text
from subsidy_shared.validators import IdNumber, RegionCode

CERTIFICATE_CHANGES = frozenset(
    {"issued", "changed", "renewed", "reissued", "reissuing", "expired", "frozen", "revoked", "moved"}
)
_STATUS_CHANGES = frozenset({"issued", "started", "changed", "ended", "revoked"})
_EVENT_CHANGES = frozenset({"issued", "recorded", "revoked"})  # a death record is recorded, or withdrawn
ALLOWED_CHANGES: dict[str, frozenset[str]] = {
    "certificate": CERTIFICATE_CHANGES,
    "death": _EVENT_CHANGES,
    "cremation": _EVENT_CHANGES,
    "declared_death": _EVENT_CHANGES,
    "missing": frozenset({"issued", "started", "recorded", "ended", "revoked"}),
    "hukou_moved": frozenset({"issued", "moved", "recorded", "revoked"}),
}
# A fact about a day: without the day there is no stop month to compute.
DATED_KINDS = frozenset({"death", "cremation", "declared_death", "missing", "hukou_moved", "imprisonment"})
_ISSUING = frozenset({"issued", "changed", "renewed", "reissued"})
REQUIRED_COLUMNS = ("source", "record_id", "record_kind", "change", "id_number")
MAX_DEPTH = 16  # how deep facts may nest: a registry fact is flat, a certificate's components one list deep

# No `|`: these travel in list cursors.
Text = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^|\r\n]+$")]


def allowed_changes(kind: str) -> frozenset[str]:
    return ALLOWED_CHANGES.get(kind, _STATUS_CHANGES)


class CertificateFacts(BaseModel):
    """What a certificate record says (残疾人证): category, grade and validity."""

    model_config = ConfigDict(extra="allow", frozen=True)

    category: Annotated[StrictInt, Field(ge=1, le=7)] | None = None
    grade: Annotated[StrictInt, Field(ge=1, le=4)] | None = None
    issued_on: date | None = None
    expires_on: date | None = None
    generation: Literal[2, 3] = 2
    # What a 多重 (7) certificate combines: the quarterly comparison and eligibility read it.
    components: list[Annotated[StrictInt, Field(ge=1, le=6)]] | None = Field(default=None, max_length=6)

    @model_validator(mode="after")
    def _valid_after_issue(self) -> CertificateFacts:
        if self.issued_on and self.expires_on and self.expires_on <= self.issued_on:
            raise ValueError("expires_on must be after issued_on")
        if self.components and self.category != MULTIPLE:
            raise ValueError(f"only a 多重 (category {MULTIPLE}) certificate lists components")
        return self


class AllowanceFacts(BaseModel):
    """An allowance of another scheme (养老, 离休, 伤残抚恤 …): the amount is what 择高 compares."""

    model_config = ConfigDict(extra="allow", frozen=True)

    monthly_amount_fen: Annotated[StrictInt, Field(ge=0)] | None = None
    kind: Literal["living", "nursing"] | None = None


class ChildAllowanceFacts(BaseModel):
    """事实无人抚养儿童: whether the full allowance is paid (X4 excludes living only then)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    full_allowance: StrictBool | None = None


class HukouFacts(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    to_region: RegionCode | None = None


_FACTS_MODELS: dict[str, type[BaseModel]] = {
    "certificate": CertificateFacts,
    "pension": AllowanceFacts,
    "military_disability_care": AllowanceFacts,
    "retirement_cadre": AllowanceFacts,
    "elderly_care_allowance": AllowanceFacts,
    "hukou_moved": HukouFacts,
    "de_facto_unsupported_child": ChildAllowanceFacts,
}


class RecordLine(BaseModel):
    """One validated line of an upload."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Text
    record_id: Text
    record_kind: RecordKind
    change: Annotated[str, Field(min_length=1, max_length=40)]
    id_number: IdNumber
    region: RegionCode | None = None
    effective_date: date | None = None
    facts: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> RecordLine:
        if self.change not in allowed_changes(self.record_kind):
            allowed = ", ".join(sorted(allowed_changes(self.record_kind)))
            raise ValueError(f"change {self.change!r} is not one of a {self.record_kind} record's: {allowed}")
        if self.record_kind in DATED_KINDS and self.effective_date is None:
            raise ValueError(f"a {self.record_kind} record needs its effective_date")
        model = _FACTS_MODELS.get(self.record_kind)
        if model is not None:
            try:
                parsed = model.model_validate(self.facts)
            except ValidationError as exc:
                raise ValueError(reason_of(exc, "facts")) from None
            object.__setattr__(self, "facts", parsed.model_dump(mode="json", exclude_none=True))
        if self.record_kind == "certificate" and self.change in _ISSUING:
            missing = [k for k in ("category", "grade", "issued_on", "expires_on") if k not in self.facts]
            if missing:
                raise ValueError(f"an {self.change} certificate states {', '.join(missing)}")
        return self

    @property
    def in_force(self) -> bool:
        return self.change in IN_FORCE_CHANGES

    def content_hash(self, person_key: str) -> str:
        """Changes when anything the record says changes; the same line imported again hashes the same."""
        content = [self.record_kind, self.change, person_key, self.region, self.effective_date, self.facts]
        raw = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class BadLine:
    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class GoodLine:
    line: int
    record: RecordLine


def reason_of(exc: ValidationError, prefix: str = "") -> str:
    """Each failing field and why, never the value (it may be an ID number)."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        msg = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)


class _NotStorable(ValueError):
    """A JSON number PostgreSQL cannot store: NaN, Infinity or one too large for a float."""


def _refuse_constant(name: str) -> NoReturn:
    raise _NotStorable(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotStorable("a number is too large")
    return value


def loads(text: str) -> Any:
    """`json.loads`, refusing NaN and Infinity (and numbers that overflow to them): jsonb has no place for them."""
    return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)


def json_problem(text: str) -> tuple[Any, str | None]:
    """The parsed value, or why `text` is not JSON review can keep (never showing the value)."""
    try:
        return loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"not JSON: {exc.msg} at column {exc.colno}"
    except _NotStorable as exc:
        return None, f"not JSON: {exc}"
    except RecursionError:
        return None, "not JSON: nested too deeply"


def unstorable(value: Any, loc: str = "", depth: int = 0) -> str | None:
    """Why PostgreSQL could not store `value` (NUL or unpaired surrogates in text, non-finite numbers, nesting
    past MAX_DEPTH), naming where but never the value; None when it can."""
    where = loc or "line"
    if isinstance(value, str):
        reason = unstorable_text(value)
        return f"{where}: {reason}" if reason is not None else None
    if isinstance(value, float) and not math.isfinite(value):
        return f"{where}: NaN and infinite numbers cannot be stored"
    if isinstance(value, dict | list) and depth > MAX_DEPTH:
        return f"{where}: nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, list):
        return next((f for f in (unstorable(v, where, depth + 1) for v in value) if f is not None), None)
    if isinstance(value, dict):
        for key, item in value.items():
            if unstorable_text(str(key)) is not None:
                return f"{where}: a key holds a NUL character or an unpaired surrogate"
            # Columns are named; keys inside facts are not (a key could carry personal data).
            here = (key if key in RecordLine.model_fields else "line") if depth == 0 else where
            found = unstorable(item, here, depth + 1)
            if found is not None:
                return found
    return None


def validate_lines(rows: Iterable[tuple[int, dict[str, Any] | str]]) -> Iterator[GoodLine | BadLine]:
    """Validate (line number, raw row or parse error) pairs; a record repeated in one upload is refused."""
    seen: dict[tuple[str, str], int] = {}
    for number, row in rows:
        if isinstance(row, str):
            yield BadLine(number, row)
            continue
        problem = unstorable(row)
        if problem is not None:
            yield BadLine(number, problem)
            continue
        try:
            record = RecordLine.model_validate(row)
        except ValidationError as exc:
            yield BadLine(number, reason_of(exc))
            continue
        key = (record.source, record.record_id)
        if key in seen:
            yield BadLine(number, f"repeats line {seen[key]}: the same source and record_id")
            continue
        seen[key] = number
        yield GoodLine(number, record)


def json_lines(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Each non-blank line as an object, or the reason it is not one."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        value, problem = json_problem(line)
        if problem is not None:
            yield number, problem
            continue
        yield number, value if isinstance(value, dict) else "a line is a JSON object"


def csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Rows of a CSV with a header line; empty cells are absent values, `facts` is a JSON object.

    A row the CSV reader refuses (a field past its size limit …) is a bad line; the reader goes on with the
    next physical line, so what follows is read (and judged) afresh.
    """
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        yield 1, f"the header is not CSV: {exc}"
        return
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        yield 1, f"the header lacks the columns {', '.join(missing)}"
        return
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # its message names the problem, never the cell
            yield reader.reader.line_num, f"not CSV: {exc}"
            continue
        yield reader.line_num, _csv_values(row)


def _csv_values(row: dict[str | Any, Any]) -> dict[str, Any] | str:
    if None in row:
        return "more cells than header columns"
    values: dict[str, Any] = {k: v for k, v in row.items() if v not in ("", None)}
    facts = values.pop("facts", None)
    if facts is not None:
        parsed, problem = json_problem(facts)
        if problem is not None:
            return f"facts: {problem}"
        values["facts"] = parsed
    return values


def parse(text: str, fmt: Literal["jsonl", "csv"]) -> Iterator[GoodLine | BadLine]:
    return validate_lines(json_lines(text) if fmt == "jsonl" else csv_rows(text))
