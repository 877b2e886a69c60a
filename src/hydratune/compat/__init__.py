"""Library workarounds, each with the version it was written for and when to remove it."""
