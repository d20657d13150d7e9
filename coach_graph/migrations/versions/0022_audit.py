"""audit trail: reads of clients' private data (coalesced per hour) and consent changes

Revision ID: 0022_audit
Revises: 0018_message_bursts
Create Date: 2026-12-03 13:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coach_graph.db import UtcDateTime

revision: str = "0022_audit"
down_revision: str | Sequence[str] | None = "0020_waitlist_feeds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("hour", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["client_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_audit_event_read",
        "audit_event",
        ["actor_id", "client_id", "action", "hour"],
        unique=True,
    )
    op.create_index("ix_audit_event_client_at", "audit_event", ["client_id", "at", "id"])
    op.create_index("ix_audit_event_actor_at", "audit_event", ["actor_id", "at", "id"])
    op.create_index("ix_audit_event_at", "audit_event", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_at", table_name="audit_event")
    op.drop_index("ix_audit_event_actor_at", table_name="audit_event")
    op.drop_index("ix_audit_event_client_at", table_name="audit_event")
    op.drop_index("ux_audit_event_read", table_name="audit_event")
    op.drop_table("audit_event")
