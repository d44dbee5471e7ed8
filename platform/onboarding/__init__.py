"""Province packs from tenants/<province>/ and the rollout path. Filled by issue 6."""
