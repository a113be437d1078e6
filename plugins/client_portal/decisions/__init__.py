"""Decisions a client makes on the page, the lines that carry them back by e-mail, and the inbox that reads them."""
