"""case-service."""
