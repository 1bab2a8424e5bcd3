"""API models: `XCreate`/`XUpdate`/`XPatch` inputs (extra fields refused) and `XRead` outputs."""
