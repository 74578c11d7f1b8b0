"""QuickBooks connections: OAuth per organization, encrypted tokens, refresh."""
