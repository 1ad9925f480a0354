"""Where a case stands: 乡镇审核 → 县残联审核 → 县民政审定 → (公示) → decided; or withdrawn."""

from __future__ import annotations

from typing import Literal

Step = Literal["township_review", "county_verification", "county_approval", "publicity", "decided", "withdrawn"]

TOWNSHIP_REVIEW: Step = "township_review"  # 乡镇/街道 审核 comes first in every flow
COUNTY_VERIFICATION: Step = "county_verification"  # 县级残联: the certificate, its category and grade
COUNTY_APPROVAL: Step = "county_approval"  # 县级民政 审定 (or the township, where delegated)
PUBLICITY: Step = "publicity"  # 公示 of an approval before it becomes the decision
DECIDED: Step = "decided"
WITHDRAWN: Step = "withdrawn"

STEPS: tuple[Step, ...] = (TOWNSHIP_REVIEW, COUNTY_VERIFICATION, COUNTY_APPROVAL, PUBLICITY, DECIDED, WITHDRAWN)
OPEN_STEPS: tuple[Step, ...] = (TOWNSHIP_REVIEW, COUNTY_VERIFICATION, COUNTY_APPROVAL, PUBLICITY)
CLOSED_STEPS: tuple[Step, ...] = (DECIDED, WITHDRAWN)
