"""Scoring: the hours and Decree 335 methods, ratings, organisational KPI, staffing norms."""
