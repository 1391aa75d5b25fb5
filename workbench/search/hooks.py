"""The search service's hook implementations."""
