"""The audit history's hook implementations."""
