"""CSV and PDF exports of a client's session history, read back as people's tools read them."""

from __future__ import annotations

import asyncio
import csv
import io
from urllib.parse import unquote

import httpx
import pytest
from pypdf import PdfReader

from coach_graph import clock
from tests.conftest import GraphQLClient, Practice
from tests.sessions.conftest import SERVICES, Scene, at

CLIENT_NAME = "Renée Жукова 山田花子"
COACH_NAME = "Χρήστος Πάππας"
GREETING = "Καλημέρα! 東京で会いましょう 한국어"
COMPLETE = "mutation($id: ID!) { updateSessionStatus(id: $id, status: COMPLETED) { id } }"
CANCEL = "mutation($id: ID!, $r: String) { cancelSession(id: $id, reason: $r) { id } }"
RATE = "mutation($id: ID!, $r: Int!) { rateSession(sessionId: $id, rating: $r) { id } }"


@pytest.fixture
async def berlin(gql: GraphQLClient, practice: Practice, manual_clock: clock.ManualClock) -> Scene:
    """A coach in Berlin whose client's and own names are in four scripts."""
    coach = await practice.coach(COACH_NAME, time_zone="Europe/Berlin")
    client = await practice.client(coach, CLIENT_NAME)
    coach_token = await practice.token(coach)
    data = await gql.data(SERVICES, token=coach_token)
    services = {s["durationMinutes"]: s["id"] for s in data["services"]}
    return Scene(gql, practice, coach, client, coach_token, await practice.token(client), services)


async def _history(scene: Scene, manual_clock: clock.ManualClock) -> list[str]:
    """Three sessions: completed and rated (winter time), cancelled, confirmed (summer time)."""
    done = await scene.book(at(1, 9), 60, cn=GREETING, pn="Private: anxious")
    cancelled = await scene.book(at(2, 9), 30, cn="=HYPERLINK(evil)", pn="-2+3")
    later = await scene.book(at(30, 8), 60, cn="@SUM(A1)", pn="follow up")
    await scene.as_coach(CANCEL, id=cancelled["id"], r="+ill, sorry")
    manual_clock.set(at(1, 10, 30))
    await scene.as_coach(COMPLETE, id=done["id"])
    await scene.as_client(RATE, id=done["id"], r=5)
    return [done["id"], cancelled["id"], later["id"]]


async def _get(
    http: httpx.AsyncClient, scene: Scene, fmt: str, token: str | None = None, query: str = ""
) -> httpx.Response:
    return await http.get(
        f"/exports/clients/{scene.client.id}/sessions.{fmt}{query}",
        headers={"Authorization": f"Bearer {token or scene.coach_token}"},
    )


def _csv(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf")  # the UTF-8 byte-order mark
    assert b"\r\n" in response.content and b"\n" not in response.content.replace(b"\r\n", b"")
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _pdf_text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)


async def test_the_csv_has_a_bom_a_header_and_one_row_per_session_in_the_coach_s_time_zone(
    berlin: Scene, http: httpx.AsyncClient, manual_clock: clock.ManualClock
) -> None:
    ids = await _history(berlin, manual_clock)
    response = await _get(http, berlin, "csv")
    assert response.headers["content-type"].startswith("text/csv; charset=utf-8")
    assert response.headers["cache-control"] == "no-store"
    rows = _csv(response)
    assert list(rows[0]) == [
        "session_id", "start", "service", "minutes", "status", "price", "fee", "currency",
        "rating", "customer_notes", "cancellation_reason",
    ]  # fmt: skip
    assert rows[0] == {
        "session_id": ids[0],
        "start": "2026-03-03 10:00 +01:00",  # 09:00 UTC in Berlin's winter time
        "service": "60-minute session",
        "minutes": "60",
        "status": "COMPLETED",
        "price": "90.00",
        "fee": "0.00",
        "currency": "EUR",
        "rating": "5",
        "customer_notes": GREETING,
        "cancellation_reason": "",
    }
    assert [r["session_id"] for r in rows] == ids
    assert rows[1]["status"] == "CANCELLED" and rows[1]["minutes"] == "30"
    assert rows[2]["start"] == "2026-04-01 10:00 +02:00"  # summer time
    assert rows[2]["rating"] == "" and rows[2]["price"] == "90.00"


async def test_cells_that_a_spreadsheet_would_run_as_formulas_start_with_a_quote(
    berlin: Scene, http: httpx.AsyncClient, manual_clock: clock.ManualClock
) -> None:
    await _history(berlin, manual_clock)
    rows = _csv(await _get(http, berlin, "csv", query="?includePrivateNotes=true"))
    assert rows[1]["customer_notes"] == "'=HYPERLINK(evil)"
    assert rows[1]["cancellation_reason"] == "'+ill, sorry"
    assert rows[1]["private_notes"] == "'-2+3"
    assert rows[2]["customer_notes"] == "'@SUM(A1)"
    assert rows[0]["customer_notes"] == GREETING  # other text stays as it was written


async def test_private_notes_appear_only_when_the_coach_opts_in(
    berlin: Scene, http: httpx.AsyncClient, manual_clock: clock.ManualClock
) -> None:
    await _history(berlin, manual_clock)
    without = _csv(await _get(http, berlin, "csv"))
    assert "private_notes" not in without[0]
    assert not any("anxious" in cell for row in without for cell in row.values())
    opted = _csv(await _get(http, berlin, "csv", query="?includePrivateNotes=true"))
    assert [r["private_notes"] for r in opted] == ["Private: anxious", "'-2+3", "follow up"]
    refused = await _get(http, berlin, "csv", query="?includePrivateNotes=maybe")
    assert refused.status_code == 400 and refused.json()["code"] == "BAD_USER_INPUT"


async def test_a_client_asking_for_private_notes_gets_the_export_without_them(
    berlin: Scene, http: httpx.AsyncClient, manual_clock: clock.ManualClock
) -> None:
    await _history(berlin, manual_clock)
    for query in ("", "?includePrivateNotes=true"):
        rows = _csv(await _get(http, berlin, "csv", berlin.client_token, query))
        assert len(rows) == 3 and "private_notes" not in rows[0]
        assert rows[0]["start"] == "2026-03-03 10:00 +01:00"  # the coach's zone, not the client's
        text = _pdf_text(await _get(http, berlin, "pdf", berlin.client_token, query))
        assert "anxious" not in text and "follow up" not in text and "Private notes" not in text


async def test_the_pdf_renders_latin_greek_cyrillic_and_cjk_with_a_title_block_and_totals(
    berlin: Scene, http: httpx.AsyncClient, manual_clock: clock.ManualClock
) -> None:
    await _history(berlin, manual_clock)
    response = await _get(http, berlin, "pdf")
    assert response.headers["cache-control"] == "no-store"
    text = _pdf_text(response)
    assert "?" not in text  # nothing replaced by a question mark
    assert "Session history" in text
    assert f"Client: {CLIENT_NAME}" in text  # Latin é, Cyrillic and CJK
    assert f"Coach: {COACH_NAME}" in text  # Greek
    assert "Καλημέρα" in text and "東京で会いましょう" in text and "한국어" in text
    assert "Period: 2026-03-03 to 2026-04-01" in text
    assert "Sessions 3" in text and "Completed 1" in text
    assert "Cancellation rate 33%" in text and "Revenue 90.00 EUR" in text
    assert "anxious" not in text and "Private notes" not in text
    assert len(response.content) < 150_000  # fonts are subset, not embedded whole

    opted = _pdf_text(await _get(http, berlin, "pdf", query="?includePrivateNotes=true"))
    assert "Private notes" in opted and "Private: anxious" in opted


async def test_a_latin_pdf_stays_small(
    scene: Scene, http: httpx.AsyncClient, manual_clock: clock.ManualClock
) -> None:
    await scene.book(at(1, 9), 60, cn="Bring the list")
    response = await _get(http, scene, "pdf")
    assert "Bring the list" in _pdf_text(response)
    assert len(response.content) < 60_000


async def test_the_download_is_named_after_the_client_in_ascii_and_in_utf_8(
    berlin: Scene, scene: Scene, http: httpx.AsyncClient
) -> None:
    disposition = (await _get(http, berlin, "pdf")).headers["content-disposition"]
    plain, extended = disposition.split("; filename*=UTF-8''")
    assert plain == 'attachment; filename="renee-sessions.pdf"'
    assert unquote(extended) == f"{CLIENT_NAME} sessions.pdf"
    latin = (await _get(http, scene, "csv")).headers["content-disposition"]
    assert latin == 'attachment; filename="client-cleo-sessions.csv"'


async def test_other_coaches_unrelated_clients_and_unknown_ids_get_the_same_404(
    berlin: Scene, http: httpx.AsyncClient, manual_clock: clock.ManualClock
) -> None:
    await _history(berlin, manual_clock)
    practice = berlin.practice
    other_coach = await practice.token(await practice.coach())
    unrelated_client = await practice.token(await practice.client(berlin.coach))
    client_id = berlin.client.id
    for fmt in ("csv", "pdf"):
        url = f"/exports/clients/{client_id}/sessions.{fmt}"
        anonymous = await http.get(url)
        assert anonymous.status_code == 401 and anonymous.json()["code"] == "UNAUTHENTICATED"
        bad = await http.get(url, headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401
        for token in (other_coach, unrelated_client):
            foreign = await http.get(url, headers={"Authorization": f"Bearer {token}"})
            assert foreign.status_code == 404
            assert foreign.json() == {
                "error": f"No client with id {client_id}.",
                "code": "NOT_FOUND",
            }
        unknown_id = client_id + 1000
        unknown = await http.get(
            f"/exports/clients/{unknown_id}/sessions.{fmt}",
            headers={"Authorization": f"Bearer {berlin.coach_token}"},
        )
        assert unknown.status_code == 404
        assert unknown.json() == {"error": f"No client with id {unknown_id}.", "code": "NOT_FOUND"}


async def test_twenty_concurrent_exports_by_the_coach_all_succeed(
    berlin: Scene, http: httpx.AsyncClient, manual_clock: clock.ManualClock
) -> None:
    ids = await _history(berlin, manual_clock)
    responses = await asyncio.gather(
        *(_get(http, berlin, ("csv", "pdf")[i % 2]) for i in range(20))
    )
    assert [r.status_code for r in responses] == [200] * 20
    for r in responses[0::2]:
        assert [row["session_id"] for row in _csv(r)] == ids
    for r in responses[1::2]:
        assert CLIENT_NAME in _pdf_text(r)


async def test_a_client_with_no_sessions_gets_a_header_and_a_titled_pdf(
    berlin: Scene, http: httpx.AsyncClient
) -> None:
    response = await _get(http, berlin, "csv")
    assert response.content.decode("utf-8-sig").splitlines()[0].startswith("session_id,start")
    assert _csv(response) == []
    text = _pdf_text(await _get(http, berlin, "pdf"))
    assert "Period: no sessions yet" in text and "Sessions 0" in text
