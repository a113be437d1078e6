"""The leak audit: every published file read as a reader sees it, compared with what is private."""
