"""Data files shipped with the kit (see README.md for their sources and licences)."""
