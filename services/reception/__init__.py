"""The reception service."""
