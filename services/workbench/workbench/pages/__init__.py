"""The workbench's pages, a module per area of work; each module's `router` is added here."""

from __future__ import annotations

from fastapi import APIRouter

from workbench.pages import home, lookup, review, supervision, window

ROUTERS: list[APIRouter] = [home.router, review.router, supervision.router, window.router, lookup.router]
