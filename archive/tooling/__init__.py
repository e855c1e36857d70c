"""Tooling around the library: evaluation harnesses (and, later, the replica builder and the mirror server)."""
