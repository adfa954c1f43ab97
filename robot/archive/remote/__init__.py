"""The shared core of the adapters for remote case systems: connection settings, authentication, requests, filing once."""
