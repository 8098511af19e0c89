"""How mamori talks to the database: engines and migrations, readiness, and the hot-path
statements run on the driver itself, below SQLAlchemy's execution layer."""
