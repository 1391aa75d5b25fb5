"""Audit history: who changed which fields of a record, from what to what. Append-only."""
