"""Reconciliation: hear QuickBooks' changes (webhooks, CDC), report drift, repair it."""
