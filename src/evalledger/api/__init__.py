"""The REST API: app factory, authentication, error mapping, limits."""
