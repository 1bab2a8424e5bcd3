"""Pitwall's shared library: contracts, outbox, consumer runner, auth, errors, observability."""
