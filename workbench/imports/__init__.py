"""The import framework: .xlsx/.csv files read by content, columns mapped and checked per
cell, rows saved by a background job in the uploader's scope (resumable, idempotent by each
kind's key columns), and an error report of the rows not imported. Kinds are registered per
app (see kinds.py and docs/imports.md)."""
