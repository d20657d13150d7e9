"""The sessions domain's fields of a Client: their history and their totals."""

from __future__ import annotations

import strawberry

from coach_graph.auth import require_viewer
from coach_graph.clients.access import ClientView
from coach_graph.gql import After, Connection, Info, PageSize, inside_a_list, load
from coach_graph.pagination import page_size
from coach_graph.sessions import history
from coach_graph.sessions.history import Sort
from coach_graph.sessions.stats import load_session_stats
from coach_graph.sessions.types.arguments import HistoryFilter, HistorySort
from coach_graph.sessions.types.filters import SessionFilter
from coach_graph.sessions.types.session import Session, prime_rows, sessions_of
from coach_graph.sessions.types.stats import SessionStats


@strawberry.type
class SessionClientFields:
    """The sessions domain's fields of Client."""

    view: strawberry.Private[ClientView]

    @strawberry.field(description="The client's sessions, filtered, sorted and paginated.")
    async def sessions(
        self,
        info: Info,
        filter: HistoryFilter = None,
        sort: HistorySort = Sort.NEWEST_FIRST,
        first: PageSize = 50,
        after: After = None,
    ) -> Connection[Session]:
        require_viewer(info.context.viewer)
        order = Sort(sort or Sort.NEWEST_FIRST)
        key = history.ClientSessions(
            client_id=self.view.id,
            coach_id=self.view.coach_id,
            query=(filter or SessionFilter()).query(),
            sort=order,
            size=page_size(first, 50),
            after=history.cursor_key(order, after, info.context.db.cursors),
        )
        rows = list(await load(info, history.client_session_pages, key))
        if not inside_a_list(info):
            await prime_rows(info, rows)

        async def count() -> int:
            return await load(info, history.client_session_counts, key.count_key)

        page = key.page(rows, count, info.context.db.cursors)
        return Connection.of(page, sessions_of(info))

    @strawberry.field(description="Totals of the client's sessions.")
    async def session_stats(self, info: Info) -> SessionStats:
        stats = await load(info, load_session_stats, (self.view.id, self.view.coach_id or 0))
        return SessionStats.of(stats, info.context.settings.default_currency)
