"""Turn client records into private, polished status pages in an MkDocs site."""

__version__ = "0.1.0"
