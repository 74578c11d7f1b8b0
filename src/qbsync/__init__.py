"""qbsync: keeps each Aforo organization's QuickBooks Online company in step with Aforo."""

__version__ = "0.1.0"
