"""Bearer tokens: who you are, your roles, and the sites you may act on."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt
from fastapi import FastAPI, Request, Response, Security
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.problems import ProblemError
from shared.settings import DEV_JWT_SECRET

ALGORITHM = "HS256"
ALL_SITES = "*"


class Role(StrEnum):
    ADVISOR = "advisor"
    FOREMAN = "foreman"
    TECHNICIAN = "technician"
    QC = "qc"
    PARTS = "parts"
    MANAGER = "manager"
    OEM = "oem"
    WARRANTY = "warranty"
    CUSTOMER_RELATIONS = "customer_relations"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """The holder of a valid token."""

    subject: str
    roles: frozenset[str]
    sites: frozenset[str]

    def may_see(self, site_id: str) -> bool:
        """Whether the token covers the site."""
        return ALL_SITES in self.sites or site_id in self.sites

    def require_site(self, site_id: str) -> None:
        """Refuse (403) a site the token does not cover."""
        if not self.may_see(site_id):
            raise ProblemError(
                403, "Forbidden", f"this token is not granted on site {site_id!r}", type_="/problems/site-not-granted"
            )

    def has_any(self, roles: Iterable[str]) -> bool:
        """Whether the holder has at least one of the roles (admin has all)."""
        return Role.ADMIN in self.roles or bool(self.roles & set(roles))


def mint_token(
    secret: str, subject: str, roles: Iterable[str], sites: Iterable[str], ttl: timedelta = timedelta(hours=12)
) -> str:
    """A signed token for development and tests."""
    now = datetime.now(UTC)
    claims = {"sub": subject, "roles": sorted(roles), "sites": sorted(sites), "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str) -> Principal:
    """Verify a token and return its holder; 401 when it is not valid."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
    except jwt.PyJWTError as exc:
        raise _unauthorized(f"invalid token: {exc}") from exc
    roles, sites = claims.get("roles", []), claims.get("sites", [])
    if not isinstance(roles, list) or not isinstance(sites, list):
        raise _unauthorized("invalid token: roles and sites must be lists")
    return Principal(subject=str(claims["sub"]), roles=frozenset(map(str, roles)), sites=frozenset(map(str, sites)))


_bearer = HTTPBearer(auto_error=False, description="A Pitwall token: `python -m shared.auth mint ...` in development")


def requires(*roles: Role) -> Callable[..., object]:
    """A dependency admitting holders of any of the roles (no roles: any valid token)."""

    async def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Security(_bearer)
    ) -> Principal:
        if credentials is None:
            raise _unauthorized("a bearer token is required")
        principal = decode_token(request.app.state.jwt_secret, credentials.credentials)
        if roles and not principal.has_any(roles):
            needed = ", ".join(sorted(r.value for r in roles))
            raise ProblemError(
                403, "Forbidden", f"this action needs one of the roles: {needed}", type_="/problems/role"
            )
        return principal

    dependency.authenticates = True  # type: ignore[attr-defined]  # found by `authenticate_first`
    return dependency


def authenticate_first(app: FastAPI) -> None:
    """Judge the token before the input: a request without a valid token is a 401 whatever else is wrong with it."""
    answer_problem = app.exception_handlers[ProblemError]
    for kind in (RequestValidationError, ProblemError):
        app.exception_handlers[kind] = _token_judged_first(app.exception_handlers[kind], answer_problem)


def _token_judged_first(
    answer: Callable[..., Any], answer_problem: Callable[..., Any]
) -> Callable[..., Awaitable[Response]]:
    # Input is judged before and between dependencies (a body that is not JSON, a query a dependency refuses): an
    # error met before the route's token check ran gets the check's verdict first.
    async def handler(request: Request, exc: Exception) -> Response:
        judged = isinstance(exc, ProblemError) and exc.status in (401, 403)
        check = None if judged else _token_check(getattr(request.scope.get("route"), "dependant", None))
        if check is not None:
            try:
                await check(request, await _bearer(request))
            except ProblemError as refused:
                return await answer_problem(request, refused)  # type: ignore[no-any-return]
        return await answer(request, exc)  # type: ignore[no-any-return]

    return handler


def _token_check(dependant: Dependant | None) -> Callable[..., Awaitable[Principal]] | None:
    """The route's token check, if it has one."""
    if dependant is None:
        return None
    if getattr(dependant.call, "authenticates", False):
        return dependant.call
    return next((check for sub in dependant.dependencies if (check := _token_check(sub)) is not None), None)


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(
        401, "Unauthorized", detail, type_="/problems/unauthorized", headers={"WWW-Authenticate": "Bearer"}
    )


def main() -> None:
    """CLI: `python -m shared.auth mint --sub NAME --roles advisor,manager --sites SITE[,SITE]`."""
    parser = argparse.ArgumentParser(prog="python -m shared.auth")
    sub = parser.add_subparsers(dest="command", required=True)
    mint = sub.add_parser("mint", help="mint a development token")
    mint.add_argument("--sub", required=True)
    mint.add_argument("--roles", required=True, help="comma-separated: " + ",".join(r.value for r in Role))
    mint.add_argument("--sites", required=True, help="comma-separated site ids, or * for all")
    mint.add_argument("--hours", type=float, default=12)
    mint.add_argument("--secret", default=None, help="defaults to PITWALL_JWT_SECRET or the dev secret")
    args = parser.parse_args()
    import os

    secret = args.secret or os.environ.get("PITWALL_JWT_SECRET", DEV_JWT_SECRET)
    roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    unknown = [r for r in roles if r not in {x.value for x in Role}]
    if unknown:
        parser.error(f"unknown roles: {', '.join(unknown)}")
    sites = [s.strip() for s in args.sites.split(",") if s.strip()]
    print(mint_token(secret, args.sub, roles, sites, timedelta(hours=args.hours)))


if __name__ == "__main__":
    main()
