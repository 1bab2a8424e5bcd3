"""HTTP routes of the parts service."""

from services.parts.api import catalogue, requests, stock

ROUTERS = [catalogue.router, requests.router, stock.router]
