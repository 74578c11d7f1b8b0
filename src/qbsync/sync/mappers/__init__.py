"""Pure functions from Aforo records to QuickBooks payloads (no I/O, table-tested)."""
