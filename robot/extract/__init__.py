"""Reading LÆ documents: PDF text and fields, the CPR number and the form type (pure functions)."""
