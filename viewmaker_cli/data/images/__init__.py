"""Image datasets read from their published file formats: one module per dataset (data/catalog.py lists them)."""
