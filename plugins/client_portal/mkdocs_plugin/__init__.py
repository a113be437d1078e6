"""The MkDocs (and ProperDocs) adapter: a thin plugin over the generator-free core."""
