"""REST routers of the marketplace (all under /v1)."""
