"""The ``client-portal`` command line: a thin layer over the core, and its preview server."""
