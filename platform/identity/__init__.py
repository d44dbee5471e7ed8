"""Principals (user accounts), roles, API tokens and authentication of requests."""
