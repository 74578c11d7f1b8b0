"""Backfills: every customer and invoice of an organization, through the same queues."""
