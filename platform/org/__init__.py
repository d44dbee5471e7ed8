"""Org structure and people: effective-dated org tree, job positions, officials, assignments."""
