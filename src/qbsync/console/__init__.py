"""The operations console at /console: server-rendered pages (Jinja2 + htmx) that drive the
same HTTP API as every other client, signed in with the caller's own JWT."""
