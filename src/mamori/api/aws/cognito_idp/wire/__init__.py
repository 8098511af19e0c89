"""Wire shapes of the user-pool API, one module per thing converted: pools, clients, users."""
