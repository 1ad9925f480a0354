"""Tables of this service's database: so far the messaging tables every service has."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase
from subsidy_shared.db import make_metadata
from subsidy_shared.messaging import messaging_tables


class Base(DeclarativeBase):
    metadata = make_metadata()


outbox, inbox, audit_log = messaging_tables(Base.metadata)
