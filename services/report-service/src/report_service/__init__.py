"""report-service."""
