"""The reference marketplace server of ProApp (FastAPI + SQLAlchemy 2 + Alembic).

Entry points: `marketplace.app.create_app` (the ASGI app) and ``python -m marketplace``
(serve, seed, demo-accounts, openapi, customer). Every state change is a command in
`marketplace.commands`; business rules come from the shared `proapp.domain`.
"""
