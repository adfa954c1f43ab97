"""Protocol edges that receive mail (IMAP, SMTP) and hand raw bytes to one callback; no application code here."""
