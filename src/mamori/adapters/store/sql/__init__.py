"""SQL storage (SQLite and PostgreSQL) through SQLAlchemy 2 Core, one module per aggregate."""
