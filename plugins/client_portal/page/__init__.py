"""One client's page: what it shows, formatted, rendered through templates, with its styles and scripts."""
