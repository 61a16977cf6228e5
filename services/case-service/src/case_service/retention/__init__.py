"""Archiving and purging on retention-service's command (F-RT-1, F-CV-7)."""
