"""Code every service shares: settings, database, outbox, inbox, messaging, metrics, logging."""
