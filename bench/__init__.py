"""Benchmarks: each a command printing a short table and writing JSON, every figure a ratio against a baseline of the same run."""
