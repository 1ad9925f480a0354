"""Demo data: a handful of applications at windows across China, submitted through the real API."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from subsidy_shared.auth import Principal, Role, issue_token
from subsidy_shared.ids import compose_id_number

# (window township, hukou township, name, category, grade, subsidies)
DEMO_APPLICANTS: tuple[tuple[str, str, str, int, int, tuple[str, ...]], ...] = (
    ("230102001", "510104001", "张三", 4, 1, ("living", "nursing")),  # Harbin window, Chengdu hukou
    ("230102001", "230103002", "李四", 5, 3, ("nursing",)),  # same city, another district
    ("310101002", "310101002", "王五", 1, 2, ("living",)),  # local, Shanghai
    ("440106003", "230102001", "赵六", 6, 2, ("living", "nursing")),  # Guangzhou window, Harbin hukou
)


def demo_application(
    index: int, hukou: str, name: str, category: int, grade: int, subsidies: tuple[str, ...]
) -> dict[str, Any]:
    id_number = compose_id_number(hukou[:6], date(1960 + index * 7, 1 + index, 10 + index), 100 + index * 2)
    return {
        "applicant": {"id_number": id_number, "name": name, "phone": f"1380000{index:04d}"},
        "hukou_region": hukou,
        "certificate_number": f"{id_number}{category}{grade}",
        "subsidies": list(subsidies),
        "bank_account": {
            "bank": "中国农业银行",
            "account_number": f"62284800000000{index:05d}",
            "holder_name": name,
        },
        "agent": None,
    }


def seed_demo(intake_url: str, signing_key: str) -> list[str]:
    """Submit the demo applications; returns their ids (an existing one is reported, not duplicated)."""
    ids: list[str] = []
    with httpx.Client(base_url=intake_url, timeout=10) as client:
        for index, (window, hukou, name, category, grade, subsidies) in enumerate(DEMO_APPLICANTS):
            token = issue_token(
                Principal(sub=f"demo-clerk-{window}", role=Role.WINDOW_CLERK, region=window), signing_key
            )
            headers = {"Authorization": f"Bearer {token}"}
            body = demo_application(index, hukou, name, category, grade, subsidies)
            response = client.post("/v1/applications", json=body, headers=headers)
            if response.status_code == 201:
                created = response.json()
                _hand_in(client, created["id"], created["missing_materials"], headers)
                ids.append(created["id"])
            elif response.status_code == 409:
                ids.append(response.json().get("existing_application_id", "?"))
            else:
                response.raise_for_status()
    return ids


# A one-page PDF standing in for a scanned material (the window scans paper into electronic files).
DEMO_SCAN = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _hand_in(client: httpx.Client, application_id: str, kinds: list[str], headers: dict[str, str]) -> None:
    for kind in kinds:
        response = client.post(
            f"/v1/applications/{application_id}/materials",
            data={"kind": kind},
            files={"file": (f"{kind}.pdf", DEMO_SCAN, "application/pdf")},
            headers=headers,
        )
        response.raise_for_status()
