"""registry records, read models (beneficiaries, open applications, policies), findings, campaigns,
reminders, survival checks, discovery

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID
from subsidy_shared.policy import EXAMPLES

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOW = sa.text("now()")
_TS = sa.DateTime(timezone=True)


def _registry() -> None:
    op.create_table(
        "registry_records",
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("record_id", sa.Text, primary_key=True),
        sa.Column("record_kind", sa.Text, nullable=False),
        sa.Column("change", sa.Text, nullable=False),
        sa.Column("in_force", sa.Boolean, nullable=False),
        sa.Column("person_key", sa.Text, nullable=False),
        sa.Column("id_number", sa.Text, nullable=False),
        sa.Column("region", sa.Text),
        sa.Column("effective_date", sa.Date),
        sa.Column("facts", JSONB, nullable=False),
        sa.Column("expires_on", sa.Date),
        sa.Column("category", sa.SmallInteger),
        sa.Column("grade", sa.SmallInteger),
        sa.Column("content_hash", sa.Text, nullable=False),
        sa.Column("observed_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("source", "record_id", name="pk_registry_records"),
    )
    op.create_index("ix_registry_records_person_key", "registry_records", ["person_key"])
    op.create_index(
        "ix_registry_records_certificate_expiry",
        "registry_records",
        ["expires_on"],
        postgresql_where=sa.text("expires_on IS NOT NULL"),
    )


def _read_models() -> None:
    op.create_table(
        "beneficiaries",
        sa.Column("person_key", sa.Text, primary_key=True),
        sa.Column("subsidy", sa.Text, primary_key=True),
        sa.Column("application_id", UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("id_number", sa.Text, nullable=False),
        sa.Column("hukou_region", sa.Text, nullable=False),
        sa.Column("certificate_number", sa.Text, nullable=False),
        sa.Column("tier", sa.Text),
        sa.Column("monthly_amount_fen", sa.BigInteger, nullable=False),
        sa.Column("since_month", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("status_month", sa.Text),
        sa.Column("updated_at", _TS, nullable=False, server_default=_NOW),
        sa.PrimaryKeyConstraint("person_key", "subsidy", name="pk_beneficiaries"),
    )
    op.create_index(
        "ix_beneficiaries_hukou_region",
        "beneficiaries",
        ["hukou_region"],
        postgresql_ops={"hukou_region": "text_pattern_ops"},
    )
    op.create_table(
        "open_applications",
        sa.Column("application_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("person_key", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("id_number", sa.Text, nullable=False),
        sa.Column("hukou_region", sa.Text, nullable=False),
        sa.Column("certificate_number", sa.Text, nullable=False),
        sa.Column("subsidies", sa.ARRAY(sa.Text), nullable=False),
        sa.Column("submitted_at", _TS, nullable=False),
    )
    op.create_index("ix_open_applications_person_key", "open_applications", ["person_key"])
    op.create_table(
        "closed_applications",
        sa.Column("application_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("closed_at", _TS, nullable=False),
    )
    policies = op.create_table(
        "policies",
        sa.Column("province", sa.Text, primary_key=True),
        sa.Column("version", sa.Text, primary_key=True),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("body", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("province", "version", name="pk_policies"),
    )
    rows = [
        {
            "province": v.province,
            "version": v.version,
            "effective_from": v.effective_from,
            "body": json.loads(v.model_dump_json()),
        }
        for v in EXAMPLES
    ]
    op.bulk_insert(policies, rows)


def _findings() -> None:
    op.create_table(
        "findings",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("person_key", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("id_number", sa.Text, nullable=False),
        sa.Column("hukou_region", sa.Text, nullable=False),
        sa.Column("subsidies", sa.ARRAY(sa.Text), nullable=False),
        sa.Column("subsidy_set", sa.Text, nullable=False),
        sa.Column("rule_id", sa.Text, nullable=False),
        sa.Column("record_source", sa.Text, nullable=False),
        sa.Column("record_id", sa.Text, nullable=False),
        sa.Column("record_hash", sa.Text, nullable=False),
        sa.Column("evidence", JSONB, nullable=False),
        sa.Column("suggested_action", sa.Text, nullable=False),
        sa.Column("effective_month", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("raised_at", _TS, nullable=False),
        sa.Column("run_id", UUID(as_uuid=True)),
        sa.Column("conclusion", JSONB),
        sa.Column("concluded_at", _TS),
    )
    op.create_index(
        "uq_findings_open",
        "findings",
        ["person_key", "subsidy_set", "rule_id"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index("ix_findings_record", "findings", ["person_key", "record_source", "record_id"])
    op.create_index("ix_findings_listing", "findings", ["status", "raised_at", "id"])
    op.create_table(
        "comparison_runs",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS),
        sa.Column("checked", sa.BigInteger, nullable=False),
        sa.Column("raised", sa.BigInteger, nullable=False),
        sa.Column("by_rule", JSONB, nullable=False),
    )


def _campaigns() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.UniqueConstraint("kind", "region", "period", name="uq_campaigns_kind"),
    )
    op.create_table(
        "campaign_items",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "campaign_id",
            UUID(as_uuid=True),
            sa.ForeignKey("campaigns.id", name="fk_campaign_items_campaign_id_campaigns"),
            nullable=False,
        ),
        sa.Column("person_key", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("county", sa.Text, nullable=False),
        sa.Column("township", sa.Text),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("id_number", sa.Text, nullable=False),
        sa.Column("detail", JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text),
        sa.Column("method", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("checked_by", sa.Text),
        sa.Column("checked_at", _TS),
        sa.UniqueConstraint("campaign_id", "person_key", "subject", name="uq_campaign_items_campaign_id"),
    )
    op.create_index("ix_campaign_items_progress", "campaign_items", ["campaign_id", "county", "status"])


def _reminders_checks_discovery() -> None:
    op.create_table(
        "certificate_reminders",
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("record_id", sa.Text, primary_key=True),
        sa.Column("expires_on", sa.Date, primary_key=True),
        sa.Column("person_key", sa.Text, nullable=False),
        sa.Column("id_number", sa.Text, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("certificate_number", sa.Text, nullable=False),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("township", sa.Text, nullable=False),
        sa.Column("reminded_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("source", "record_id", "expires_on", name="pk_certificate_reminders"),
    )
    op.create_index(
        "ix_certificate_reminders_listing", "certificate_reminders", ["township", "expires_on", "person_key"]
    )
    op.create_table(
        "survival_checks",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("person_key", sa.Text, nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("checked_on", sa.Date, nullable=False),
        sa.Column("checked_by", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("recorded_at", _TS, nullable=False),
    )
    op.create_index("ix_survival_checks_person_key", "survival_checks", ["person_key"])
    op.create_table(
        "informed_people",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("person_key", sa.Text, nullable=False),
        sa.Column("subsidies", sa.ARRAY(sa.Text), nullable=False),
        sa.Column("township", sa.Text),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("informed_by", sa.Text, nullable=False),
        sa.Column("informed_at", _TS, nullable=False),
    )
    op.create_index("ix_informed_people_person_key", "informed_people", ["person_key"])


def upgrade() -> None:
    _registry()
    _read_models()
    _findings()
    _campaigns()
    _reminders_checks_discovery()


def downgrade() -> None:
    for table in (
        "informed_people",
        "survival_checks",
        "certificate_reminders",
        "campaign_items",
        "campaigns",
        "comparison_runs",
        "findings",
        "policies",
        "closed_applications",
        "open_applications",
        "beneficiaries",
        "registry_records",
    ):
        op.drop_table(table)
