"""payments: a (month, county prefix) index for publicity and reports instead of (county, month)

`county LIKE '23%'` cannot use a default-operator-class index unless the collation is C; publicity and the
totals report ask for one month of a region, so the month leads and the county uses text_pattern_ops.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_payments_county_month", table_name="payments")
    op.create_index(
        "ix_payments_month_county", "payments", ["month", "county"], postgresql_ops={"county": "text_pattern_ops"}
    )


def downgrade() -> None:
    op.drop_index("ix_payments_month_county", table_name="payments")
    op.create_index("ix_payments_county_month", "payments", ["county", "month"])
