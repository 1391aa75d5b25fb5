"""The import framework: .xlsx/.csv rows validated one by one, good rows saved, bad rows
reported by row number and reason, idempotent by natural key (code / username)."""
