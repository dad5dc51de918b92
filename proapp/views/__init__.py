"""Flet views: render screen state (`proapp.state`) and forward events to it.

Views hold no logic and do no I/O (import-linter forbids httpx, sqlite3 and keyring
here). Every control a test or a screen reader needs carries a stable
``ft.Semantics(identifier=...)``.
"""
