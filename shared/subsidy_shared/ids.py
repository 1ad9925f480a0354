"""Resident ID numbers (公民身份号码, GB 11643) and the person key that stands in for them on the bus."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent


class InvalidIdNumber(ValueError):
    """An ID number that fails GB 11643; the message says why."""


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def validate_id_number(value: str) -> str:
    """Return the normalised 18-character ID number or raise InvalidIdNumber with the reason.

    Checks length, format, a real birth date and the check digit; not the address code, which is the
    place of first registration and outlives abolished counties (stdnum's table stops around 2014).
    """
    number = value.strip().upper()
    if len(number) != 18:
        raise InvalidIdNumber("an ID number has 18 characters")
    # str.isdigit() also accepts full-width and superscript digits, which would give one person two keys.
    if not _ascii_digits(number[:17]) or not (_ascii_digits(number[17]) or number[17] == "X"):
        raise InvalidIdNumber("an ID number is 17 digits followed by a digit or X")
    try:
        born = ric.get_birth_date(number)
    except InvalidComponent as exc:
        raise InvalidIdNumber("the birth date inside the ID number is not a real date") from exc
    if born > date.today() or born.year < 1880:
        raise InvalidIdNumber("the birth date inside the ID number is not a plausible date")
    if ric.calc_check_digit(number) != number[17]:
        raise InvalidIdNumber("the check digit does not match (GB 11643 MOD 11-2)")
    return number


def birth_date(id_number: str) -> date:
    return ric.get_birth_date(id_number)


def mask_id_number(id_number: str) -> str:
    """2301**********123X: keeps the first four and the last four characters."""
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def mask_name(name: str) -> str:
    """张*三 / 李* : the surname and (for names of three or more) the last character stay."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_account(account: str) -> str:
    return "*" * max(len(account) - 4, 0) + account[-4:]


def person_key(id_number: str, secret: str) -> str:
    """A keyed hash of the ID number: stable per person, useless to anyone without the secret."""
    digest = hmac.new(secret.encode(), id_number.upper().encode(), hashlib.sha256)
    return digest.hexdigest()


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of GB 11643."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def compose_id_number(address_code: str, born: date, sequence: int) -> str:
    """Build a valid ID number (demo data, tests): 6-digit address + birth date + 3-digit sequence."""
    first17 = f"{address_code}{born:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_digit(first17)
