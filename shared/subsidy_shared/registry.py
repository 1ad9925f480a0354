"""What a registry record's `change` means, the same for every service that reads `registry.record_changed`."""

from __future__ import annotations

# A record is in force after these changes (a death `recorded`, a hukou `moved` out, a certificate being
# `reissuing` for a category/grade change — P6 keeps it paying); ended, expired, frozen, revoked ones are not.
IN_FORCE_CHANGES = frozenset({"issued", "changed", "renewed", "reissued", "reissuing", "started", "recorded", "moved"})


def in_force(change: str) -> bool:
    return change in IN_FORCE_CHANGES
