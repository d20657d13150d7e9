"""waitlist entries and calendar feeds

Revision ID: 0020_waitlist_feeds
Revises: 0018_message_bursts
Create Date: 2026-12-03 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coach_graph.db import UtcDateTime

revision: str = "0020_waitlist_feeds"
down_revision: str | Sequence[str] | None = "0019_scheduling"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "waitlist_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UtcDateTime(), nullable=False),
        sa.Column("ends_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["coach_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["client_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["service_id"], ["coaching_service.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_waitlist_entry_coach_id", "waitlist_entry", ["coach_id"])
    op.create_index("ix_waitlist_entry_client_id", "waitlist_entry", ["client_id"])
    op.create_index("ix_waitlist_entry_service_id", "waitlist_entry", ["service_id"])
    op.create_index(
        "ix_waitlist_entry_coach_open", "waitlist_entry", ["coach_id", "ended_at", "starts_at"]
    )
    op.create_table(
        "calendar_feed",
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=8), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("owner_id"),
    )
    op.create_index("uq_calendar_feed_secret_hash", "calendar_feed", ["secret_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_calendar_feed_secret_hash", table_name="calendar_feed")
    op.drop_table("calendar_feed")
    op.drop_index("ix_waitlist_entry_coach_open", table_name="waitlist_entry")
    op.drop_index("ix_waitlist_entry_service_id", table_name="waitlist_entry")
    op.drop_index("ix_waitlist_entry_client_id", table_name="waitlist_entry")
    op.drop_index("ix_waitlist_entry_coach_id", table_name="waitlist_entry")
    op.drop_table("waitlist_entry")
