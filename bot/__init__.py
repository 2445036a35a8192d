"""Citebot: answers questions about a collection of articles with verbatim, cited excerpts."""

__version__ = "0.1.0"
