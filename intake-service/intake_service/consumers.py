"""Intake consumes nothing yet; decisions and benefit events arrive with the routing issue."""

from __future__ import annotations

from subsidy_shared.app import Subscriptions

SUBSCRIPTIONS = Subscriptions()
