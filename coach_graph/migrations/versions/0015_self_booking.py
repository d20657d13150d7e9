"""self-booking: sessions a client booked for themselves

Revision ID: 0015_self_booking
Revises: 0010_search_keys
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_self_booking"
down_revision: str | Sequence[str] | None = "0010_search_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("coaching_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("self_booked", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("coaching_session", schema=None) as batch_op:
        batch_op.drop_column("self_booked")
