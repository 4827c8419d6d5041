"""Tenancy: projects and the API keys that act inside them."""
