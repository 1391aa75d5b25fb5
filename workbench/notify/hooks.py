"""The notification centre's hook implementations."""
