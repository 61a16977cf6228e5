"""Retention (gallring) for administrators: runs, the run log, legal holds."""
