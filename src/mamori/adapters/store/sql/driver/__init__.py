"""Statements run on the database driver itself, below SQLAlchemy's execution layer."""
