"""GraphQL types and operations for logging in and out and for the viewer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry

from coach_graph.accounts import service
from coach_graph.accounts.models import Role, User
from coach_graph.accounts.throttle import client_address
from coach_graph.auth import Viewer as ViewerData
from coach_graph.auth import require_viewer
from coach_graph.gql import Info, enum

enum(
    Role,
    "Whether a user is a coach or a client.",
    {
        Role.COACH: "Runs a practice: clients, sessions, homework, alerts.",
        Role.CLIENT: "Is coached: journal, homework, surveys, their own sessions and consent.",
    },
)


@strawberry.type
class CoachFields:
    """The accounts domain's fields of Coach (graph.Coach): who the coach is."""

    id: strawberry.ID = strawberry.field(
        description="The coach's id: the `coachId` that setConsent and a booking page take."
    )
    name: str | None = strawberry.field(description="The coach's name; null when not given.")
    time_zone: str = strawberry.field(
        description="The IANA time zone the coach's hours and calendar days are in."
    )
    user_id: strawberry.Private[int]

    @classmethod
    def of(cls, user: User) -> Self:
        assert user.id is not None
        return cls(
            id=strawberry.ID(str(user.id)),
            name=user.name,
            time_zone=user.time_zone,
            user_id=user.id,
        )


@strawberry.type(description="The logged-in user.")
class Viewer:
    id: strawberry.ID = strawberry.field(description="The user's id.")
    role: Role = strawberry.field(description="Coach or client.")
    email: str = strawberry.field(description="The e-mail they log in with.")
    name: str | None = strawberry.field(description="Their name; null when not given.")
    time_zone: str = strawberry.field(description="IANA time zone, e.g. Europe/Paris.")

    @classmethod
    def of(cls, v: ViewerData | User) -> Viewer:
        return cls(
            id=strawberry.ID(str(v.id)),
            role=Role(v.role),
            email=v.email,
            name=v.name,
            time_zone=v.time_zone,
        )


@strawberry.type(description="A new bearer token and who it belongs to.")
class AuthPayload:
    token: str = strawberry.field(description="Send as `Authorization: Bearer <token>`.")
    expires_at: datetime = strawberry.field(description="When the token stops working.")
    viewer: Viewer = strawberry.field(description="The user the token belongs to.")


@strawberry.type
class Query:
    @strawberry.field(description="Who is logged in (UNAUTHENTICATED without a valid token).")
    def viewer(self, info: Info) -> Viewer:
        return Viewer.of(require_viewer(info.context.viewer))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Log in with e-mail and password; returns a bearer token.")
    async def login(
        self,
        info: Info,
        email: Annotated[str, strawberry.argument(description="The account's e-mail.")],
        password: Annotated[str, strawberry.argument(description="The account's password.")],
    ) -> AuthPayload:
        r = info.context.resources
        address = client_address(info.context.request, r.settings)
        result = await service.login(r.db, r.passwords, r.settings, email, password, address)
        return AuthPayload(
            token=result.token, expires_at=result.expires_at, viewer=Viewer.of(result.user)
        )

    @strawberry.mutation(
        description="Sign up as a new client (no account yet) and log in: a password of at least "
        "10 characters; an e-mail address already registered is CONFLICT; sign-ups from one "
        "client address are limited (RATE_LIMITED with `retryAfter`)."
    )
    async def sign_up(
        self,
        info: Info,
        email: Annotated[
            str, strawberry.argument(description="Your e-mail address (case does not matter).")
        ],
        password: Annotated[str, strawberry.argument(description="At least 10 characters.")],
        name: Annotated[
            str | None, strawberry.argument(description="Your name (up to 200 characters).")
        ] = None,
        time_zone: Annotated[
            str | None,
            strawberry.argument(description="IANA time zone, e.g. Europe/Paris (default UTC)."),
        ] = None,
    ) -> AuthPayload:
        r = info.context.resources
        result = await service.sign_up(
            r.db, r.passwords, r.settings, email=email, password=password, name=name,
            time_zone=time_zone, address=client_address(info.context.request, r.settings),
        )  # fmt: skip
        return AuthPayload(
            token=result.token, expires_at=result.expires_at, viewer=Viewer.of(result.user)
        )

    @strawberry.mutation(description="Revoke the token of this request; its sockets close too.")
    async def logout(self, info: Info) -> bool:
        r = info.context.resources
        return await service.logout(r.db, r.tokens, info.context.viewer)
