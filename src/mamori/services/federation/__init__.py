"""Federation: signing in to a user pool through another identity provider."""
