"""Message senders: the database outbox and SMTP."""
