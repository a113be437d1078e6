"""Update e-mails from the records' git history."""
