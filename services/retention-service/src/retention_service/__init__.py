"""retention-service."""
