"""Electronic materials: checked by content, hashed, stored with the application; downloads audited."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from subsidy_shared import audit
from subsidy_shared.auth import Principal, Role, require_role
from subsidy_shared.errors import Conflict, NotFound, PayloadTooLarge, Unprocessable, UnsupportedMediaType
from subsidy_shared.text import line_problem

from intake_service import repository, rules, service
from intake_service.models import Material

# Materials can be handed in until the locality has the case; later ones would never be seen.
UPLOADABLE = {"materials_pending", "complete"}
EXTRA_KIND = "other"
READERS = (
    Role.WINDOW_CLERK,
    Role.TOWNSHIP_REVIEWER,
    Role.COUNTY_DISABILITY_FEDERATION,
    Role.COUNTY_CIVIL_AFFAIRS,
    Role.AUDITOR,
)


async def upload(
    session: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    kind: str,
    filename: str,
    content: bytes,
    max_bytes: int,
    now: datetime,
) -> Material:
    # Refuse before taking any lock or writing anything: a refused file leaves no trace but the audit.
    if len(content) > max_bytes:
        raise PayloadTooLarge(f"a material may be at most {max_bytes} bytes", limit_bytes=max_bytes)
    if not content:
        raise Unprocessable.at(("body", "file"), "the file is empty")
    wrong = line_problem(filename)  # the name comes from the multipart header, byte for byte
    if wrong is not None:
        raise Unprocessable.at(("body", "file"), f"the file name: {wrong}")
    content_type = rules.sniff_content_type(content[:16])
    if content_type is None:
        raise UnsupportedMediaType("a material is a PDF, JPEG or PNG file (checked by its content, not its name)")
    application = await service.window_application(session, principal, application_id)
    if application.status not in UPLOADABLE:
        raise Conflict(f"the application is {application.status}: materials can no longer be added")
    if kind not in application.required_materials and kind != EXTRA_KIND:
        allowed = ", ".join([*application.required_materials, EXTRA_KIND])
        raise Unprocessable.at(("body", "kind"), f"not a material of this application's checklist: one of {allowed}")
    material = Material(
        id=uuid.uuid4(),
        application_id=application.id,
        kind=kind,
        filename=filename[-200:] or "material",
        content_type=content_type,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        uploaded_at=now,
        uploaded_by=principal.sub,
    )
    await repository.add_material(session, material)
    await repository.add_step(
        session,
        application.id,
        "material_added",
        now,
        principal.sub,
        principal.role,
        {"kind": kind, "sha256": material.sha256, "size_bytes": material.size_bytes},
    )
    await audit.record(session, principal, "material.upload", "material", str(material.id), after={"kind": kind})
    await service.complete_if_ready(session, application, now, principal)
    return material


async def download(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID, material_id: uuid.UUID
) -> Material:
    require_role(principal, *READERS)
    application = await service.get_application(session, principal, application_id)
    material = await repository.get_material(session, application.id, material_id)
    if material is None:
        raise NotFound(f"no material {material_id} on application {application_id}")
    await audit.record(session, principal, "material.download", "material", str(material.id))
    return material
