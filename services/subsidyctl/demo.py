"""Demo data: registry records and a handful of applications at windows across China, through the real APIs."""

from __future__ import annotations

import json
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


def demo_registry_lines() -> list[dict[str, Any]]:
    """What the registries know of the demo applicants: a valid certificate each, 低保 for living applicants."""
    lines: list[dict[str, Any]] = []
    for index, (_, hukou, _, category, grade, subsidies) in enumerate(DEMO_APPLICANTS):
        id_number = demo_application(index, hukou, "", category, grade, subsidies)["applicant"]["id_number"]
        facts = {"category": category, "grade": grade, "generation": 2, "issued_on": "2021-03-01",
                 "expires_on": "2031-02-28"}  # fmt: skip
        lines.append({"source": "demo-cdpf", "record_id": f"cert-{id_number}", "record_kind": "certificate",
                      "change": "issued", "id_number": id_number, "region": hukou, "effective_date": "2021-03-01",
                      "facts": facts})  # fmt: skip
        if "living" in subsidies:
            lines.append({"source": "demo-dibao", "record_id": f"dibao-{id_number}", "record_kind": "dibao",
                          "change": "started", "id_number": id_number, "region": hukou,
                          "effective_date": "2024-01-01"})  # fmt: skip
    return lines


def seed_registry(review_url: str, signing_key: str) -> int:
    """Import the demo registry records, each province by its own operator (a re-import changes nothing)."""
    by_province: dict[str, list[dict[str, Any]]] = {}
    for line in demo_registry_lines():
        by_province.setdefault(line["region"][:2], []).append(line)
    accepted = 0
    with httpx.Client(base_url=review_url, timeout=30) as client:
        for province, lines in sorted(by_province.items()):
            token = issue_token(Principal(sub="demo-ops", role=Role.OPS, region=f"{province}0000"), signing_key)
            body = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode()
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"}
            response = client.post("/v1/registry/records", content=body, headers=headers)
            response.raise_for_status()
            accepted += int(response.json()["accepted"])
    return accepted


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
