pytest_plugins = ["arende_platform.testing"]
