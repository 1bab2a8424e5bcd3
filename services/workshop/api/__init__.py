"""HTTP routers of the workshop service."""
