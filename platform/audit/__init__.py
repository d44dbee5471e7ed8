"""The append-only audit log every capability writes to."""
