"""Domain refusals as problem+json: rule violations 422, conflicts and illegal steps 409."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.reception.domain.errors import Conflict, DomainError, IllegalTransition
from shared.problems import problem_response


def install_domain_errors(app: FastAPI) -> None:
    """Answer every DomainError with a problem document."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        if isinstance(exc, IllegalTransition):
            status, type_ = 409, "/problems/illegal-transition"
        elif isinstance(exc, Conflict):
            status, type_ = 409, "/problems/conflict"
        else:
            status, type_ = 422, "/problems/validation"
        return problem_response(status, exc.title, exc.detail, request.url.path, type_=type_, **exc.extensions)
