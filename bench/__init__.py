"""Load generator and results for mamori: run by hand against a live server, never by pytest."""
