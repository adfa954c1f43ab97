"""The operator commands behind `lae-robot`, one module each."""
