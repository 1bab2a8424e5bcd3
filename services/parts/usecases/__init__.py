"""Use cases of the parts counter: each takes a unit of work, never commits."""
