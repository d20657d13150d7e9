"""policy and join: cancellation policies, the fee a session was charged, its meeting room

Revision ID: 0008_policy_join
Revises: 0006_alert_lifecycle
Create Date: 2026-11-29 10:00:00.000000
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_policy_join"
down_revision: str | Sequence[str] | None = "0006_alert_lifecycle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cancellation_policy",
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("notice_hours", sa.Integer(), nullable=False, server_default="24"),
        sa.Column("late_fee_percent", sa.Integer(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(["coach_id"], ["user_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("coach_id"),
    )
    with op.batch_alter_table("coaching_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meeting_room", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("fee_minor", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("late_cancellation", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Every existing session gets its own unguessable room.
    sessions = sa.table("coaching_session", sa.column("id"), sa.column("meeting_room"))
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.select(sessions.c.id))]
    for ident in ids:
        bind.execute(
            sessions.update()
            .where(sessions.c.id == ident)
            .values(meeting_room=secrets.token_urlsafe(16))
        )
    with op.batch_alter_table("coaching_session", schema=None) as batch_op:
        batch_op.alter_column("meeting_room", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("coaching_session", schema=None) as batch_op:
        batch_op.drop_column("late_cancellation")
        batch_op.drop_column("fee_minor")
        batch_op.drop_column("meeting_room")
    op.drop_table("cancellation_policy")
