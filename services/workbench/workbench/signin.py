"""Signing in: a development page that picks a role and region, or OpenID Connect (code + PKCE) in production."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

import jwt
from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from subsidy_shared.auth import Principal, Role, issue_token

from workbench.session import CsrfChecked, User, sign_in, sign_out
from workbench.settings import WorkbenchSettings
from workbench.templating import ROLE_NAMES, render

router = APIRouter()
# Roles of people; another province's system is not a person at a desk.
STAFF_ROLES = [r for r in Role if r is not Role.PROVINCE_SYSTEM]
EXAMPLE_REGIONS = {
    "window_clerk": "230102001",
    "township_reviewer": "510104001",
    "county_disability_federation": "510104",
    "county_civil_affairs": "510104",
    "provincial_admin": "510000",
    "auditor": "510104",
    "ops": "510000",
}


def _settings(request: Request) -> WorkbenchSettings:
    settings: WorkbenchSettings = request.app.state.settings
    return settings


def safe_next(target: str | None) -> str:
    """Only a path of this site: never an open redirect to another host."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/login")
async def login_page(request: Request, next: str = "/") -> Response:
    settings = _settings(request)
    if not settings.dev_sign_in:
        return RedirectResponse(f"/login/oidc?next={safe_next(next)}", status_code=303)
    return render(
        request, "login.html", roles=STAFF_ROLES, role_names=ROLE_NAMES, examples=EXAMPLE_REGIONS, next=safe_next(next)
    )


@router.post("/login")
async def dev_login(
    request: Request,
    _: CsrfChecked,
    role: Annotated[str, Form()],
    region: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Development only: a token the services accept, minted with the development key."""
    settings = _settings(request)
    if not settings.dev_sign_in:
        return render(
            request, "error.html", status_code=404, title="没有此页面", detail="生产环境请通过统一身份认证登录。"
        )
    sub = (name.strip() or f"dev-{role}-{region}")[:60]
    try:
        principal = Principal(sub=sub, role=Role(role), region=region.strip())
    except (ValueError, ValidationError):
        return render(
            request,
            "login.html",
            status_code=422,
            roles=STAFF_ROLES,
            role_names=ROLE_NAMES,
            examples=EXAMPLE_REGIONS,
            next=safe_next(next),
            errors={"region": "请填写有效的行政区划代码（6位县级、9位乡镇）"},
            values={"role": role, "region": region, "name": name},
        )
    token = issue_token(
        principal,
        settings.jwt_signing_key,
        ttl=timedelta(seconds=settings.session_max_age_seconds),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    sign_in(request, User(sub=sub, name=name.strip() or sub, role=principal.role, region=principal.region, token=token))
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
async def logout(request: Request, _: CsrfChecked) -> Response:
    sign_out(request)
    return RedirectResponse("/login", status_code=303)


def oauth_client(settings: WorkbenchSettings) -> OAuth | None:
    if not (settings.oidc_issuer_url and settings.oidc_client_id):
        return None
    oauth = OAuth()
    oauth.register(
        "idp",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=settings.oidc_issuer_url.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": settings.oidc_scope, "code_challenge_method": "S256"},
    )
    return oauth


@router.get("/login/oidc")
async def oidc_login(request: Request, next: str = "/") -> Response:
    oauth: OAuth | None = request.app.state.oauth
    if oauth is None:
        return render(request, "error.html", status_code=404, title="未配置统一身份认证", detail="请联系系统管理员。")
    request.session["next"] = safe_next(next)
    return await oauth.idp.authorize_redirect(request, _settings(request).oidc_redirect_url)  # type: ignore[no-any-return]


@router.get("/auth/callback")
async def oidc_callback(request: Request) -> Response:
    """The identity provider's access token is what the services verify (JWKS); its claims say who this is."""
    oauth: OAuth | None = request.app.state.oauth
    if oauth is None:
        return render(request, "error.html", status_code=404, title="未配置统一身份认证", detail="请联系系统管理员。")
    try:
        answer = await oauth.idp.authorize_access_token(request)
    except OAuthError:
        return render(
            request, "error.html", status_code=401, title="登录未完成", detail="身份认证没有通过，请重新登录。"
        )
    token = str(answer["access_token"])
    claims = jwt.decode(token, options={"verify_signature": False})  # verified by every service; here only read
    try:
        principal = Principal.model_validate(claims)
    except ValidationError:
        return render(request, "error.html", status_code=403, title="没有工作台权限", detail="您的账号没有角色或区划。")
    name = str((answer.get("userinfo") or {}).get("name") or principal.sub)
    target = safe_next(request.session.pop("next", "/"))
    sign_in(request, User(principal.sub, name, principal.role, principal.region, token))
    return RedirectResponse(target, status_code=303)
