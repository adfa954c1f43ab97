"""Reading received mail into a Letter: headers, body text and the PDFs it carries, within resource limits."""
