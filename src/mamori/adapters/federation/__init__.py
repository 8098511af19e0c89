"""User pools' identity providers, as a relying party calls them."""
