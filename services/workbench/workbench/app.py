"""create_app(): the workbench — session cookie, sign-in, pages, and one answer for a service that is down."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from urllib.parse import quote

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from subsidy_shared.logs import configure_logging

from workbench import signin
from workbench.api import SERVICE_NAMES, Api, Problem, ServiceDown
from workbench.pages import ROUTERS
from workbench.session import CsrfRefused, SignInRequired
from workbench.settings import WorkbenchSettings
from workbench.templating import render

STATIC = Path(__file__).parent / "static"


def create_app(
    settings: WorkbenchSettings | None = None, transports: Mapping[str, httpx.AsyncBaseTransport] | None = None
) -> FastAPI:
    settings = settings or WorkbenchSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging("workbench")
        urls = {name: settings.api_url(name) for name in SERVICE_NAMES}
        app.state.api = Api(urls, settings.api_timeout_seconds, transports)
        try:
            yield
        finally:
            await app.state.api.close()

    app = FastAPI(title="Liangbu workbench (工作台)", version="1", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.oauth = signin.oauth_client(settings)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret,
        session_cookie="liangbu_workbench",
        max_age=settings.session_max_age_seconds,
        same_site="lax",  # strict would drop the cookie on the identity provider's redirect back
        https_only=settings.secure_cookies,
    )
    if settings.assets_dir.is_dir():  # before /static, whose mount would otherwise answer /static/vendor/… with 404
        app.mount("/static/vendor", StaticFiles(directory=settings.assets_dir), name="vendor")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _install_error_pages(app)
    app.include_router(signin.router)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _: SignInRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, _: CsrfRefused) -> Response:
        detail = "表单已过期或来源不明，请返回上一页刷新后重新提交。"
        return render(request, "error.html", status_code=403, title="表单未通过校验", detail=detail)

    @app.exception_handler(ServiceDown)
    async def _down(request: Request, exc: ServiceDown) -> Response:
        name = SERVICE_NAMES.get(exc.service, exc.service)
        detail = f"{name}暂时无法使用，请稍后再试；工作台的其他功能不受影响。"
        return render(request, "error.html", status_code=503, title=f"{name}暂时无法使用", detail=detail)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        titles = {401: "登录已过期", 403: "没有权限", 404: "没有找到", 409: "当前状态不允许此操作"}
        if exc.status == 401:
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        title = titles.get(exc.status, "请求未被接受")
        return render(request, "error.html", status_code=exc.status, title=title, detail=exc.detail, problem=exc)
