"""Alembic migrations: the core base here, one branch per plugin in its own folder."""
