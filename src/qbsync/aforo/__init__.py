"""Adapters for the Aforo services (org, metering, rate plans, payments): typed clients and errors."""
