"""The client record: its types, reading it from YAML, what is wrong with it, and what it means today."""
