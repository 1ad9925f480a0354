"""Request and response models of the intake API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from subsidy_shared.events import AgentRelation, Subsidy
from subsidy_shared.validators import IdNumber, PersonName, Phone, RegionCode

from intake_service.rules import parse_certificate_number


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ApplicantIn(Strict):
    id_number: IdNumber
    name: PersonName
    phone: Phone | None = None


class BankAccountIn(Strict):
    bank: str = Field(min_length=2, max_length=60)
    account_number: str = Field(pattern=r"^[0-9]{8,30}$")
    holder_name: PersonName


class AgentIn(Strict):
    id_number: IdNumber
    name: PersonName
    relation: AgentRelation
    phone: Phone | None = None


class ApplicationCreate(Strict):
    """An application handed in at the caller's window (the window comes from the token)."""

    applicant: ApplicantIn
    hukou_region: RegionCode
    certificate_number: str = Field(min_length=20, max_length=20)
    subsidies: list[Subsidy] = Field(min_length=1, max_length=2)
    bank_account: BankAccountIn
    agent: AgentIn | None = None

    @field_validator("certificate_number")
    @classmethod
    def _certificate(cls, value: str) -> str:
        parse_certificate_number(value)
        return value.upper()

    @field_validator("subsidies")
    @classmethod
    def _distinct(cls, value: list[Subsidy]) -> list[Subsidy]:
        if len(set(value)) != len(value):
            raise ValueError("each subsidy is asked for once")
        return value

    @model_validator(mode="after")
    def _certificate_is_the_applicants(self) -> ApplicationCreate:
        if self.certificate_number[:18] != self.applicant.id_number:
            raise ValueError("certificate_number must begin with the applicant's ID number")
        return self


class ApplicationRead(BaseModel):
    id: uuid.UUID
    status: str
    submitted_at: datetime
    subsidies: list[Subsidy]
    hukou_region: str
    accepting_region: str
    applicant_name: str = Field(description="masked")
    applicant_id_number: str = Field(description="masked")
    agent: bool


class ApplicationList(BaseModel):
    items: list[ApplicationRead]
    next_cursor: str | None = None


ApplicationStatus = Literal["received", "withdrawn", "decided"]
