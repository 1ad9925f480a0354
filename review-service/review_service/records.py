"""Registry lines as uploaded (JSON lines or CSV) → validated records, each bad line with its number and why.

Pure: no I/O. A line is `{"source", "record_id", "record_kind", "change", "id_number", "region"?,
"effective_date"?, "facts"?}`; CSV has the same columns with `facts` as a JSON string.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, model_validator
from subsidy_shared.events import RecordKind
from subsidy_shared.registry import IN_FORCE_CHANGES
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

    @model_validator(mode="after")
    def _valid_after_issue(self) -> CertificateFacts:
        if self.issued_on and self.expires_on and self.expires_on <= self.issued_on:
            raise ValueError("expires_on must be after issued_on")
        return self


class AllowanceFacts(BaseModel):
    """An allowance of another scheme (养老, 离休, 伤残抚恤 …): the amount is what 择高 compares."""

    model_config = ConfigDict(extra="allow", frozen=True)

    monthly_amount_fen: Annotated[StrictInt, Field(ge=0)] | None = None
    kind: Literal["living", "nursing"] | None = None


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


def validate_lines(rows: Iterable[tuple[int, dict[str, Any] | str]]) -> Iterator[GoodLine | BadLine]:
    """Validate (line number, raw row or parse error) pairs; a record repeated in one upload is refused."""
    seen: dict[tuple[str, str], int] = {}
    for number, row in rows:
        if isinstance(row, str):
            yield BadLine(number, row)
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
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, f"not JSON: {exc.msg} at column {exc.colno}"
            continue
        yield number, value if isinstance(value, dict) else "a line is a JSON object"


def csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Rows of a CSV with a header line; empty cells are absent values, `facts` is a JSON object."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        yield 1, f"the header lacks the columns {', '.join(missing)}"
        return
    for row in reader:
        number = reader.line_num
        if None in row:
            yield number, "more cells than header columns"
            continue
        values: dict[str, Any] = {k: v for k, v in row.items() if v not in ("", None)}
        facts = values.pop("facts", None)
        if facts is not None:
            try:
                values["facts"] = json.loads(facts)
            except json.JSONDecodeError as exc:
                yield number, f"facts: not JSON: {exc.msg}"
                continue
        yield number, values


def parse(text: str, fmt: Literal["jsonl", "csv"]) -> Iterator[GoodLine | BadLine]:
    return validate_lines(json_lines(text) if fmt == "jsonl" else csv_rows(text))
