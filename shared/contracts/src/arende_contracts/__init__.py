"""Event and command contracts of the case platform: pure pydantic models, no I/O."""
