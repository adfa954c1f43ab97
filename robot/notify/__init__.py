"""Plain notices to caseworkers and operators, rendered as mail and handed to a transport."""
