"""Thin routers: auth and validation, one use case, a read model back."""
