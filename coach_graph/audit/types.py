"""GraphQL types and operations of the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from coach_graph.accounts.models import Role
from coach_graph.audit import service
from coach_graph.audit.service import TrailEntry
from coach_graph.auditing import AuditAction
from coach_graph.gql import After, Connection, Info, PageSize, enum, parse_optional_id

enum(
    AuditAction,
    "What happened to a client's data.",
    {
        AuditAction.READ_JOURNAL: "Read the journal: entries, their analysis or summaries.",
        AuditAction.READ_EMOTIONS: "Read the emotion scores over time.",
        AuditAction.READ_SURVEYS: "Read survey submissions.",
        AuditAction.READ_PRIVATE_NOTES: "Read a session's private notes.",
        AuditAction.EXPORT: "Exported the session history (CSV or PDF).",
        AuditAction.CONSENT_CHANGED: "The client changed a coach's consent.",
    },
)


@strawberry.type(
    description="One event of a client's audit trail: who did what to whose data, when. Reads "
    "are gathered to one event per reader, client, action and hour (its first read)."
)
class AuditEvent:
    id: strawberry.ID = strawberry.field(description="The event's id.")
    at: datetime = strawberry.field(description="When it happened (a read: its hour's first).")
    actor_name: str = strawberry.field(
        description="Who did it: their name, or their e-mail when they gave none."
    )
    actor_role: Role = strawberry.field(description="Whether a coach or the client did it.")
    action: AuditAction = strawberry.field(description="What was done.")
    client_name: str = strawberry.field(
        description="Whose data: the client's name, or their e-mail when they gave none."
    )

    @classmethod
    def of(cls, entry: TrailEntry) -> AuditEvent:
        return cls(
            id=strawberry.ID(str(entry.id)),
            at=entry.at,
            actor_name=entry.actor_name,
            actor_role=entry.actor_role,
            action=entry.action,
            client_name=entry.client_name,
        )


@strawberry.type
class Query:
    @strawberry.field(
        description="The audit trail, newest first. A client: every event about their data "
        "(`clientId` none or their own). A coach: their own reads of clients' private data "
        "(of one client with `clientId`). Kept AUDIT_RETENTION_DAYS days."
    )
    async def audit_trail(
        self,
        info: Info,
        client_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only the events about this client."),
        ] = None,
        first: PageSize = service.DEFAULT_PAGE,
        after: After = None,
    ) -> Connection[AuditEvent]:
        page = await service.audit_trail(
            info.context.db,
            info.context.viewer,
            parse_optional_id(client_id, "client"),
            first,
            after,
        )
        return Connection.of(page, AuditEvent.of)
