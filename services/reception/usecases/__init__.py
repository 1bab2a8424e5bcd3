"""Use cases: each takes a unit of work, changes rows, publishes its events; the caller commits."""
