"""The sync engine: Aforo records to QuickBooks, exactly once, with a log of every attempt."""
