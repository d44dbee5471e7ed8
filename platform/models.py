"""Every model, imported once so Base.metadata is complete (Alembic, tests)."""

from kpi_platform.audit.models import AuditEntry
from kpi_platform.benchmarking.models import (
    Cell,
    Mapping,
    Preference,
    Refresh,
    Snapshot,
    TaxonomyTerm,
    TaxonomyVersion,
)
from kpi_platform.catalog.models import (
    CatalogItem,
    CatalogItemVersion,
    ComplexityLevel,
    JobDescription,
    JobDescriptionLine,
    JobDescriptionVersion,
)
from kpi_platform.db import Base, TenantScoped
from kpi_platform.identity.models import ApiToken, IdentityProvider, Principal, PrincipalRole
from kpi_platform.jobs.models import BackgroundJob
from kpi_platform.onboarding.models import ImportJob, RolloutEvent
from kpi_platform.org.models import Assignment, JobPosition, Official, OrgUnit, OrgUnitVersion, UnitHead, UnitKind
from kpi_platform.scoring.models import (
    AssignedProduct,
    DisciplinaryRecord,
    GeneralMark,
    KpiIndicator,
    KpiValue,
    LeaderMark,
    Leave,
    PeriodResult,
    PeriodRun,
)
from kpi_platform.tenancy.models import Tenant
from kpi_platform.tenant_settings.models import SettingsVersion
from kpi_platform.worklog.models import CalendarDay, ClosedPeriod, EdocEvent, EdocIntegration, WorkEntry

__all__ = [
    "ApiToken",
    "AssignedProduct",
    "Assignment",
    "AuditEntry",
    "BackgroundJob",
    "Base",
    "CalendarDay",
    "CatalogItem",
    "CatalogItemVersion",
    "Cell",
    "ClosedPeriod",
    "ComplexityLevel",
    "DisciplinaryRecord",
    "EdocEvent",
    "EdocIntegration",
    "GeneralMark",
    "IdentityProvider",
    "ImportJob",
    "JobDescription",
    "JobDescriptionLine",
    "JobDescriptionVersion",
    "JobPosition",
    "KpiIndicator",
    "KpiValue",
    "LeaderMark",
    "Leave",
    "Mapping",
    "Official",
    "OrgUnit",
    "OrgUnitVersion",
    "PeriodResult",
    "PeriodRun",
    "Preference",
    "Principal",
    "PrincipalRole",
    "Refresh",
    "RolloutEvent",
    "SettingsVersion",
    "Snapshot",
    "TaxonomyTerm",
    "TaxonomyVersion",
    "Tenant",
    "TenantScoped",
    "UnitHead",
    "UnitKind",
    "WorkEntry",
]


def tenant_tables() -> list[str]:
    """Names of the tables that hold tenant-owned rows."""
    return sorted(t.name for t in Base.metadata.sorted_tables if "tenant_id" in t.c)
