"""Benchmarks of fluent-ai against its peers.

A package, so that its conftest is ``benches.conftest`` and never shadows ``tests/conftest.py``.
"""
