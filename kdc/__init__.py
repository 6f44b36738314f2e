"""``kdc``: the command-line client of K-Data Catalog. Talks HTTP only."""

__version__ = "0.1.0"
