-- Distribute kpi-platform's schema on Citus, by tenant (docs/scaling.md, "Citus").
--
-- Run once on the coordinator, as the tables' owner, after `kpi-platform db upgrade` and before
-- the app writes (create_distributed_table copies existing rows, blocking writes to each table
-- while it does):
--
--   psql "postgresql://kpi_owner:…@coordinator:5432/kpi" -v ON_ERROR_STOP=1 -f scripts/citus/distribute.sql
--
-- Prerequisites (as a superuser): CREATE EXTENSION citus; the worker nodes added
-- (citus_add_node); the roles kpi_app and kpi_cross_tenant created on every node (Citus 11+
-- propagates CREATE ROLE from the coordinator); and, for the app's per-transaction tenant setting
-- to reach the shards, the database set up as docs/scaling.md says.
--
-- The tenant registry (`tenants`) becomes a reference table: a full copy on every node, so every
-- tenant table's foreign key to it stays local to its shard. Every table with tenant_id is
-- distributed by tenant_id and colocated with `principals`: all rows of one province live on the
-- same node, and the foreign keys between tenant tables (which all include tenant_id) and the
-- joins of one request stay on that node. alembic_version stays a local table of the coordinator.
--
-- A referenced table is placed before the tables that reference it. tests/test_citus_ready.py
-- runs this file against stand-ins of the two Citus functions and fails when a table is missing
-- here, placed twice, or placed before a table it references.

-- audit_log's append-only triggers run on the shards; they touch no other table.
SET citus.enable_unsafe_triggers TO on;

-- The registry and the national tables without tenant_id (benchmarking's taxonomy). The
-- benchmarking refreshes stay a local table of the coordinator: only the cross-tenant door reads them.
SELECT create_reference_table('tenants');
SELECT create_reference_table('benchmark_taxonomy_versions');
SELECT create_reference_table('benchmark_taxonomy_terms');

-- Identity: principals anchor the colocation group.
SELECT create_distributed_table('principals', 'tenant_id');
SELECT create_distributed_table('principal_roles', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('api_tokens', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('login_sessions', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('identity_providers', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('audit_log', 'tenant_id', colocate_with => 'principals');

-- Organisation.
SELECT create_distributed_table('job_positions', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('org_unit_kinds', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('officials', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('org_units', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('org_unit_versions', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('assignments', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('unit_heads', 'tenant_id', colocate_with => 'principals');

-- Work catalog.
SELECT create_distributed_table('complexity_levels', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('catalog_items', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('catalog_item_versions', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('job_descriptions', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('job_description_versions', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('job_description_lines', 'tenant_id', colocate_with => 'principals');

-- Onboarding.
SELECT create_distributed_table('import_jobs', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('background_jobs', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('rollout_events', 'tenant_id', colocate_with => 'principals');

-- Work logs and review.
SELECT create_distributed_table('work_entries', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('calendar_days', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('closed_periods', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('edoc_integrations', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('edoc_events', 'tenant_id', colocate_with => 'principals');

-- Scoring.
SELECT create_distributed_table('scoring_settings_versions', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('period_runs', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('period_results', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('general_marks', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('leader_marks', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('leave_periods', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('disciplinary_records', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('kpi_indicators', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('kpi_values', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('assigned_products', 'tenant_id', colocate_with => 'principals');

-- Benchmarking: each tenant's mappings and preferences, and its published aggregates.
SELECT create_distributed_table('benchmark_mappings', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('benchmark_preferences', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('benchmark_snapshots', 'tenant_id', colocate_with => 'principals');
SELECT create_distributed_table('benchmark_cells', 'tenant_id', colocate_with => 'principals');
