"""Response models of the eligibility API."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel
from subsidy_shared.events import ScopeName, Subsidy
from subsidy_shared.ids import mask_id_number, mask_name

from eligibility_service.models import Case


class CaseRead(BaseModel):
    application_id: uuid.UUID
    scope: ScopeName
    accepting_region: str
    hukou_region: str
    locality_county: str
    subsidies: list[Subsidy]
    received_at: datetime
    decision_due: date
    step: str
    applicant_name: str
    applicant_id_number: str

    @classmethod
    def of(cls, case: Case) -> CaseRead:
        applicant = case.application["applicant"]
        return cls(
            application_id=case.application_id,
            scope=case.scope,
            accepting_region=case.accepting_region,
            hukou_region=case.hukou_region,
            locality_county=case.locality_county,
            subsidies=case.subsidies,
            received_at=case.received_at,
            decision_due=case.decision_due,
            step=case.step,
            applicant_name=mask_name(applicant["name"]),
            applicant_id_number=mask_id_number(applicant["id_number"]),
        )
