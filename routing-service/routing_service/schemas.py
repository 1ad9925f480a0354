"""Response models of the routing API."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict
from subsidy_shared.events import ScopeName


class CaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    application_id: uuid.UUID
    scope: ScopeName
    accepting_region: str
    hukou_region: str
    locality_county: str
    locality_township: str | None
    materials_complete_at: datetime
    push_due: date
    received_at: datetime
    decision_due: date
    status: str
