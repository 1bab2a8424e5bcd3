"""The workshop service's adapters: its tables, the lookups and queries on them, rows mapped to API models."""
