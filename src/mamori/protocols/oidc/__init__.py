"""OpenID Connect (Core 1.0, Discovery 1.0) as the hosted domain speaks it."""
