"""Strict stand-ins of the remote signing providers, run as processes in tests and the demo."""
