"""Province packs from tenants/<province>/, their import, and the rollout path."""
