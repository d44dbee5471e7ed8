"""Benchmarking across provinces for central agencies: a national taxonomy, each tenant's mapping
to it, a read model of aggregates by taxonomy cell (never a person, never a small group), and its
reads for central analysts and for a province's own "where we stand"."""
