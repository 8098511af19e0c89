"""GeoIP: an address's country, city and coordinates, from a MaxMind-format database."""
