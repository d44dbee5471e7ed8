"""Scoring methods (decree-335 and hours), ratings, organisational KPI. Filled by issue 8."""
