"""Who is signed in (kept in the signed, HttpOnly, SameSite session cookie) and the CSRF token of every form."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, Request
from subsidy_shared.auth import Role

SIGNED_IN = "user"
CSRF = "csrf"


class SignInRequired(Exception):
    """No one is signed in: the page sends the browser to the sign-in page and back."""


class CsrfRefused(Exception):
    """A form came without the token this session gave it (another site posting on the user's behalf)."""


@dataclass(frozen=True)
class User:
    """The signed-in official: what the services' token says, and the token itself for calling them."""

    sub: str
    name: str
    role: Role
    region: str
    token: str


def sign_in(request: Request, user: User) -> None:
    request.session.clear()
    request.session[SIGNED_IN] = {
        "sub": user.sub,
        "name": user.name,
        "role": user.role.value,
        "region": user.region,
        "token": user.token,
    }
    request.session[CSRF] = secrets.token_urlsafe(32)


def sign_out(request: Request) -> None:
    request.session.clear()


def signed_in(request: Request) -> User | None:
    stored = request.session.get(SIGNED_IN)
    if not isinstance(stored, dict):
        return None
    try:
        return User(stored["sub"], stored["name"], Role(stored["role"]), stored["region"], stored["token"])
    except (KeyError, ValueError):
        return None


def csrf_token(request: Request) -> str:
    """This session's form token (made on first use, e.g. on the sign-in page)."""
    token = request.session.get(CSRF)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF] = token
    return token


def current_user(request: Request) -> User:
    user = signed_in(request)
    if user is None:
        raise SignInRequired
    return user


async def checked_form(request: Request, csrf_token_field: Annotated[str, Form(alias="csrf_token")] = "") -> None:
    """Every POST form carries the session's token (htmx sends it as the X-CSRF-Token header)."""
    expected = request.session.get(CSRF)
    given = request.headers.get("x-csrf-token") or csrf_token_field
    if not isinstance(expected, str) or not secrets.compare_digest(expected, given):
        raise CsrfRefused


CurrentUser = Annotated[User, Depends(current_user)]
CsrfChecked = Annotated[None, Depends(checked_form)]
