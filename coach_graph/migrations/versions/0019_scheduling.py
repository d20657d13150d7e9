"""scheduling: recurring series, availability exceptions, booking rules

Revision ID: 0019_scheduling
Revises: 0018_message_bursts
Create Date: 2026-12-03 13:12:33.528642
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coach_graph.db import UtcDateTime

revision: str = "0019_scheduling"
down_revision: str | Sequence[str] | None = "0018_message_bursts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK_SESSION_SERIES = "fk_coaching_session_series_id_session_series"


def upgrade() -> None:
    op.create_table(
        "availability_exception",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["coach_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_availability_exception_coach_ends", "availability_exception", ["coach_id", "ends_at"]
    )
    op.create_table(
        "booking_rules",
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("minimum_notice_hours", sa.Integer(), nullable=False),
        sa.Column("booking_window_days", sa.Integer(), nullable=False),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["coach_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("coach_id"),
    )
    op.create_table(
        "session_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("interval", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["user_account.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["coach_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["service_id"], ["coaching_service.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("client_id", "coach_id", "service_id"):
        op.create_index(f"ix_session_series_{column}", "session_series", [column])
    op.create_table(
        "session_series_skip",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["series_id"], ["session_series.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_session_series_skip_series_id", "session_series_skip", ["series_id"])
    with op.batch_alter_table("coaching_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("series_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_coaching_session_series_id", ["series_id"])
        batch_op.create_foreign_key(
            FK_SESSION_SERIES, "session_series", ["series_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("coaching_session", schema=None) as batch_op:
        batch_op.drop_constraint(FK_SESSION_SERIES, type_="foreignkey")
        batch_op.drop_index("ix_coaching_session_series_id")
        batch_op.drop_column("series_id")
    op.drop_index("ix_session_series_skip_series_id", table_name="session_series_skip")
    op.drop_table("session_series_skip")
    for column in ("service_id", "coach_id", "client_id"):
        op.drop_index(f"ix_session_series_{column}", table_name="session_series")
    op.drop_table("session_series")
    op.drop_table("booking_rules")
    op.drop_index("ix_availability_exception_coach_ends", table_name="availability_exception")
    op.drop_table("availability_exception")
