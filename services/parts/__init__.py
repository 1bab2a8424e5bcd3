"""The parts service."""
