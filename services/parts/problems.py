"""The parts service's problem documents (RFC 9457), and the mapping of domain errors onto them."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.parts.domain import DomainError
from shared.problems import ProblemError, not_found, problem_response


def unknown_part(part_number: str, chain: list[str]) -> ProblemError:
    """404 for a part number the catalogue does not serve; names its replacement when one exists."""
    if chain:
        return ProblemError(
            404, "Part superseded", f"part {part_number!r} was superseded by {chain[-1]!r}; use {chain[-1]!r}",
            type_="/problems/part-superseded", part_number=part_number, superseded_by=chain[-1], supersession_chain=chain,
        )
    error = not_found("part", part_number)
    error.extensions["part_number"] = part_number
    return error


def invalid(detail: str, **facts: object) -> ProblemError:
    """422 naming what is wrong with the input."""
    return ProblemError(422, "Invalid input", detail, type_="/problems/validation", **facts)


def install_domain_errors(app: FastAPI) -> None:
    """Answer broken input rules with 422 and broken state rules with 409, as problem+json."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        status = 409 if exc.kind == "conflict" else 422
        title = "Conflict" if status == 409 else "Invalid input"
        return problem_response(status, title, exc.detail, request.url.path, type_=f"/problems/{exc.code}", **exc.facts)
