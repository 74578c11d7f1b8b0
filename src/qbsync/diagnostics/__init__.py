"""Diagnostics: the debugging checklist for one record, gathered from everywhere it lives."""
