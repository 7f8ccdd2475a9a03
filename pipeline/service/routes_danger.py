"""Mounts danger detection (``POST /v1/analyze``, :mod:`pipeline.danger.router`) on the service:
the app factory includes every ``routes_*`` module's ``router`` and runs its ``prepare``."""

from pipeline.danger.router import prepare, router

__all__ = ["prepare", "router"]
