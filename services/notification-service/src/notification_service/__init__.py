"""notification-service."""
