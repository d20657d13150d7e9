from __future__ import annotations

import csv
import io

import httpx
from pypdf import PdfReader

from coach_graph import clock
from tests.sessions.conftest import Scene, at


async def _setup(scene: Scene, manual_clock: clock.ManualClock) -> None:
    done = await scene.book(at(1, 9), 60, cn='Bring "the" list, please', pn="Private: anxious")
    await scene.book(at(2, 9), 30, cn="Zoom → link", pn="follow up")
    manual_clock.set(at(1, 10, 30))
    await scene.as_coach(
        "mutation($id: ID!) { updateSessionStatus(id: $id, status: COMPLETED) { id } }",
        id=done["id"],
    )


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


async def test_the_coach_s_csv_has_a_header_and_every_session_with_private_notes(
    scene: Scene, http: httpx.AsyncClient, manual_clock: clock.ManualClock
) -> None:
    await _setup(scene, manual_clock)
    response = await http.get(
        f"/exports/clients/{scene.client.id}/sessions.csv",
        headers={"Authorization": f"Bearer {scene.coach_token}"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert b"\r\n" in response.content  # RFC 4180 line ends
    rows = _rows(response.content)
    assert rows[0] == [
        "date", "time", "service", "duration_minutes", "status", "customer_notes", "private_notes",
    ]  # fmt: skip
    assert rows[1] == [
        "2026-03-03", "09:00", "60-minute session", "60", "COMPLETED",
        'Bring "the" list, please', "Private: anxious",
    ]  # fmt: skip
    assert rows[2][4:] == ["CONFIRMED", "Zoom → link", "follow up"]


async def test_the_client_s_own_csv_leaves_out_private_notes(
    scene: Scene, http: httpx.AsyncClient, manual_clock: clock.ManualClock
) -> None:
    await _setup(scene, manual_clock)
    response = await http.get(
        f"/exports/clients/{scene.client.id}/sessions.csv",
        headers={"Authorization": f"Bearer {scene.client_token}"},
    )
    rows = _rows(response.content)
    assert "private_notes" not in rows[0]
    assert not any("Private" in cell or "follow up" in cell for row in rows for cell in row)


async def test_the_pdf_has_a_title_the_client_the_table_and_the_stats(
    scene: Scene, http: httpx.AsyncClient, manual_clock: clock.ManualClock
) -> None:
    await _setup(scene, manual_clock)
    response = await http.get(
        f"/exports/clients/{scene.client.id}/sessions.pdf",
        headers={"Authorization": f"Bearer {scene.coach_token}"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Session history" in text
    assert "Client Cleo" in text
    assert "60-minute session" in text and "2026-03-03" in text
    assert "Private: anxious" in text
    assert "Completed 1" in text and "Revenue 90.00 EUR" in text


async def test_exports_need_a_valid_token_and_a_visible_client(
    scene: Scene, http: httpx.AsyncClient, manual_clock: clock.ManualClock
) -> None:
    await _setup(scene, manual_clock)
    url = f"/exports/clients/{scene.client.id}/sessions.csv"
    assert (await http.get(url)).status_code == 401
    assert (await http.get(url, headers={"Authorization": "Bearer nope"})).status_code == 401
    other_coach = await scene.practice.token(await scene.practice.coach())
    other_client = await scene.practice.token(await scene.practice.client(scene.coach))
    for token in (other_coach, other_client):
        for fmt in ("csv", "pdf"):
            response = await http.get(
                f"/exports/clients/{scene.client.id}/sessions.{fmt}",
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 404
    unknown = await http.get(
        "/exports/clients/999999/sessions.csv",
        headers={"Authorization": f"Bearer {scene.coach_token}"},
    )
    assert unknown.status_code == 404
