"""The composition root's assemblies, one module per subdomain, called only by wiring.py."""
