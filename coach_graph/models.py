"""Every table, imported once so the metadata (and Alembic) sees the whole schema."""

from sqlmodel import SQLModel

from coach_graph import jobs, stored_keys  # noqa: F401
from coach_graph.accounts import models as accounts  # noqa: F401
from coach_graph.alerts import models as alerts  # noqa: F401
from coach_graph.audit import models as audit  # noqa: F401
from coach_graph.calendar_feed import models as calendar_feed  # noqa: F401
from coach_graph.clients import models as clients  # noqa: F401
from coach_graph.homework import models as homework  # noqa: F401
from coach_graph.journals import models as journals  # noqa: F401
from coach_graph.messages import models as messages  # noqa: F401
from coach_graph.notifications import models as notifications  # noqa: F401
from coach_graph.outbox import models as outbox  # noqa: F401
from coach_graph.sessions import models as sessions  # noqa: F401
from coach_graph.surveys import models as surveys  # noqa: F401
from coach_graph.waitlist import models as waitlist  # noqa: F401
from coach_graph.webhooks import models as webhooks  # noqa: F401

metadata = SQLModel.metadata
