"""Request parts every entry point shares (a window's application, another province's case)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from subsidy_shared.events import AgentRelation, Subsidy
from subsidy_shared.text import Line
from subsidy_shared.validators import BankAccountNumber, IdNumber, PersonName, Phone


class Strict(BaseModel):
    """Unknown fields are refused rather than dropped: a typo must not lose data silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ApplicantIn(Strict):
    id_number: IdNumber
    name: PersonName
    phone: Phone | None = None


class BankAccountIn(Strict):
    bank: Annotated[Line, Field(min_length=2, max_length=60, examples=["中国农业银行"])]
    account_number: BankAccountNumber
    holder_name: PersonName


class AgentIn(Strict):
    id_number: IdNumber
    name: PersonName
    relation: AgentRelation
    phone: Phone | None = None


def _distinct(value: list[Subsidy]) -> list[Subsidy]:
    if len(set(value)) != len(value):
        raise ValueError("each subsidy is asked for once")
    return value


SubsidyList = Annotated[list[Subsidy], Field(min_length=1, max_length=2), AfterValidator(_distinct)]
