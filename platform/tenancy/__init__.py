"""Tenants (provinces, ministries), the tenant context, and the one door for cross-tenant work."""
