"""The HTTP API: routers, auth dependencies, error handlers, health."""
