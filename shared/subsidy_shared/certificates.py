"""The disability certificate number (残疾人证号) and what it says."""

from __future__ import annotations

from dataclasses import dataclass

CATEGORIES = {
    1: "visual",
    2: "hearing",
    3: "speech",
    4: "physical",
    5: "intellectual",
    6: "mental",
    7: "multiple",
}


@dataclass(frozen=True, slots=True)
class CertificateNumber:
    """残疾人证号 (2nd generation): 18-character ID number + category digit + grade digit."""

    id_number: str
    category: int
    grade: int


def parse_certificate_number(value: str) -> CertificateNumber:
    """Split a 20-character certificate number; raises ValueError with the reason."""
    number = value.strip().upper()
    if len(number) != 20:
        raise ValueError("a certificate number has 20 characters: the ID number, category and grade")
    category, grade = number[18], number[19]
    if not (category.isascii() and category.isdigit()) or int(category) not in CATEGORIES:
        raise ValueError("the 19th character is the category, 1 (visual) to 7 (multiple)")
    if not (grade.isascii() and grade.isdigit()) or not 1 <= int(grade) <= 4:
        raise ValueError("the 20th character is the grade, 1 (most severe) to 4")
    return CertificateNumber(number[:18], int(category), int(grade))
