"""Alembic migrations for the registry's database, shipped inside the package (`registry init-db`)."""
