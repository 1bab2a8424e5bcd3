"""Bearer tokens: who you are, your roles, and the sites you may act on."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt
from fastapi import Request, Security
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
            raise ProblemError(403, "Forbidden", f"this token is not granted on site {site_id!r}", type_="/problems/site-not-granted")

    def has_any(self, roles: Iterable[str]) -> bool:
        """Whether the holder has at least one of the roles (admin has all)."""
        return Role.ADMIN in self.roles or bool(self.roles & set(roles))


def mint_token(secret: str, subject: str, roles: Iterable[str], sites: Iterable[str], ttl: timedelta = timedelta(hours=12)) -> str:
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

    async def dependency(request: Request, credentials: HTTPAuthorizationCredentials | None = Security(_bearer)) -> Principal:
        if credentials is None:
            raise _unauthorized("a bearer token is required")
        principal = decode_token(request.app.state.jwt_secret, credentials.credentials)
        if roles and not principal.has_any(roles):
            needed = ", ".join(sorted(r.value for r in roles))
            raise ProblemError(403, "Forbidden", f"this action needs one of the roles: {needed}", type_="/problems/role")
        return principal

    return dependency


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, "Unauthorized", detail, type_="/problems/unauthorized", headers={"WWW-Authenticate": "Bearer"})


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
