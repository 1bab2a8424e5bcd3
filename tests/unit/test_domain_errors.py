"""Every kind of domain error leaves a service as the same RFC 9457 answer, whichever service raised it."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from shared.errors import Conflict, DomainError, Forbidden, IllegalTransition, Invalid, NotFound, Unauthenticated
from shared.problems import install_problem_handlers, not_found


async def answer(error: DomainError) -> httpx.Response:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things/{ident}")
    async def refuse(ident: str) -> None:
        raise error

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        return await client.post("/things/t-1")


@pytest.mark.parametrize(
    ("error", "status", "type_", "title"),
    [
        (Invalid("mileage_out 9 is below mileage_in 10"), 422, "/problems/validation", "Invalid input"),
        (Conflict("the bay is taken"), 409, "/problems/conflict", "Conflict"),
        (NotFound("repair order 'ro-1' does not exist"), 404, "/problems/not-found", "Not found"),
        (Forbidden("technicians may only clock themselves", type_="/problems/not-yourself"), 403,
         "/problems/not-yourself", "Forbidden"),
        (Unauthenticated("not signed", type_="/problems/webhook-signature"), 401, "/problems/webhook-signature",
         "Unauthorized"),
    ],
)
async def test_each_kind_answers_with_its_status_type_and_title(error: DomainError, status: int, type_: str,
                                                                 title: str) -> None:
    response = await answer(error)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {"type": type_, "title": title, "status": status, "instance": "/things/t-1",
                               "detail": error.detail}


async def test_an_illegal_transition_names_the_state_and_the_allowed_steps() -> None:
    response = await answer(IllegalTransition("a closed RO cannot be reopened", state="closed", allowed=["invoice"]))
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/illegal-transition"
    assert (response.json()["state"], response.json()["allowed"]) == ("closed", ["invoice"])


async def test_a_service_may_name_its_own_problem_and_add_facts() -> None:
    response = await answer(Conflict("only 1 of P-1 on hand", type_="/problems/not-enough-on-hand",
                                     title="Not enough on hand", part_number="P-1"))
    assert response.status_code == 409
    assert response.json()["title"] == "Not enough on hand" and response.json()["part_number"] == "P-1"


async def test_not_found_names_what_was_not_found() -> None:
    response = await answer(not_found("part", "P-9"))
    assert (response.status_code, response.json()["detail"]) == (404, "part 'P-9' does not exist")
