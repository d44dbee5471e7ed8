"""The Helm chart (helm/kpi-platform), rendered and linted by Helm's own engine (helm-python-sdk
embeds Helm's Go SDK: no helm binary, no cluster), every rendered manifest validated against the
Kubernetes schemas (kubernetes-validate, strict: unknown fields are errors), for the default values
and for the production example."""

from __future__ import annotations

import copy
from pathlib import Path

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

CHART = Path(__file__).parents[1] / "helm" / "kpi-platform"
PRODUCTION = yaml.safe_load((CHART / "values-production.yaml").read_text())
# The oldest Kubernetes the chart declares (Chart.yaml kubeVersion) and the newest the validator knows.
KUBE_VERSIONS = ("1.27.0", kubernetes_validate.latest_version())
RELEASE = "kpi"
APP_COMPONENTS = {"web", "worker", "beat"}


def render(values: dict | None = None) -> list[dict]:
    with helm.Chart.load(str(CHART)) as chart:
        files = chart.render(values or {}, name=RELEASE, namespace="kpi", is_install=True)
    documents = []
    for name, text in sorted(files.items()):
        if name.endswith("NOTES.txt"):
            continue
        documents += [doc for doc in yaml.safe_load_all(text) if doc]
    return documents


def by_kind(documents, kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == kind}


def component(documents, kind: str, name: str) -> dict:
    found = [
        d
        for d in documents
        if d["kind"] == kind and d["metadata"]["labels"].get("app.kubernetes.io/component") == name
    ]
    assert len(found) == 1, f"{kind} {name}: {len(found)}"
    return found[0]


def pod_specs(documents):
    for d in documents:
        if d["kind"] in ("Deployment", "Job"):
            yield d, d["spec"]["template"]["spec"]


def env_of(container) -> dict:
    return {e["name"]: e for e in container.get("env", [])}


def hook(doc) -> tuple[set[str], int] | None:
    annotations = doc["metadata"].get("annotations") or {}
    if "helm.sh/hook" not in annotations:
        return None
    return set(annotations["helm.sh/hook"].split(",")), int(annotations.get("helm.sh/hook-weight", "0"))


@pytest.fixture(scope="module")
def default():
    return render()


@pytest.fixture(scope="module")
def production():
    return render(PRODUCTION)


@pytest.mark.parametrize("values", [{}, PRODUCTION], ids=["default", "production"])
def test_lint_is_clean(values):
    report = helm.lint(str(CHART), values, strict=True, namespace="kpi")
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert report["errors"] == [] and problems == [], report


@pytest.mark.parametrize("name", ["default", "production"])
def test_every_manifest_is_valid_kubernetes(name, default, production):
    documents = {"default": default, "production": production}[name]
    kinds = {d["kind"] for d in documents}
    assert {"Deployment", "Job", "Service", "ConfigMap", "NetworkPolicy", "PodDisruptionBudget"} <= kinds
    for version in KUBE_VERSIONS:
        for doc in documents:
            kubernetes_validate.validate(doc, version, strict=True)


def test_processes_and_their_commands(default):
    assert component(default, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0]["args"] == ["web"]
    worker = component(default, "Deployment", "worker")["spec"]["template"]["spec"]["containers"][0]
    assert worker["args"] == ["worker", "--concurrency=2"]
    job = component(default, "Job", "migrations")["spec"]["template"]["spec"]
    assert job["containers"][0]["args"] == ["migrate"] and job["restartPolicy"] == "Never"


def test_migration_job_is_a_pre_install_pre_upgrade_hook_after_what_it_reads(default, production):
    for documents, external_secret in ((default, f"{RELEASE}-kpi-platform"), (production, "kpi-platform-secrets")):
        job = component(documents, "Job", "migrations")
        events, weight = hook(job)
        assert events == {"pre-install", "pre-upgrade"}
        spec = job["spec"]["template"]["spec"]
        container = spec["containers"][0]
        needed = {("ServiceAccount", spec["serviceAccountName"])}
        needed |= {("ConfigMap", ref["configMapRef"]["name"]) for ref in container["envFrom"]}
        needed |= {
            ("Secret", e["valueFrom"]["secretKeyRef"]["name"]) for e in container["env"] if "valueFrom" in e
        }
        rendered = {(d["kind"], d["metadata"]["name"]): d for d in documents}
        for kind, name in needed:
            if (kind, name) not in rendered:
                assert (kind, name) == ("Secret", external_secret), f"{kind} {name} is neither rendered nor external"
                continue
            made = hook(rendered[kind, name])
            assert made and "pre-install" in made[0] and "pre-upgrade" in made[0], f"{kind} {name} is not a hook"
            assert made[1] < weight, f"{kind} {name} must come before the migration Job"
        env = env_of(container)
        assert "$(KPI_DB_OWNER_PASSWORD)" in env["KPI_MIGRATION_DATABASE_URL"]["value"]
    # The migrations connect straight to PostgreSQL, never through the pooler.
    prod_env = env_of(component(production, "Job", "migrations")["spec"]["template"]["spec"]["containers"][0])
    assert "@pg-primary.db.example.internal:5432/kpi" in prod_env["KPI_MIGRATION_DATABASE_URL"]["value"]


def test_chart_made_secret_is_an_earlier_hook_and_refuses_missing_values():
    values = {
        "secrets": {
            "create": True,
            "values": {
                "KPI_SECRET_KEY": "s" * 40,
                "KPI_ENCRYPTION_KEYS": "k",
                "KPI_DB_APP_PASSWORD": "a",
                "KPI_DB_CROSS_TENANT_PASSWORD": "c",
                "KPI_DB_OWNER_PASSWORD": "o",
                "KPI_SUPERUSER_DATABASE_URL": "postgresql://postgres@db/postgres",
            },
        },
        "createRoles": {"enabled": True},
    }
    documents = render(values)
    secret = by_kind(documents, "Secret")[f"{RELEASE}-kpi-platform"]
    assert hook(secret)[1] < hook(component(documents, "Job", "create-roles"))[1]
    assert hook(component(documents, "Job", "create-roles"))[1] < hook(component(documents, "Job", "migrations"))[1]
    for doc in documents:
        kubernetes_validate.validate(doc, KUBE_VERSIONS[-1], strict=True)
    missing = copy.deepcopy(values)
    missing["secrets"]["values"]["KPI_DB_OWNER_PASSWORD"] = ""
    with pytest.raises(helm.HelmError, match="KPI_DB_OWNER_PASSWORD is required"):
        render(missing)
    short = copy.deepcopy(values)
    short["secrets"]["values"]["KPI_SECRET_KEY"] = "short"
    with pytest.raises(helm.HelmError, match="at least 32 characters"):
        render(short)


def test_probes(default, production):
    for documents in (default, production):
        web = component(documents, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0]
        assert web["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert web["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert web["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
        worker = component(documents, "Deployment", "worker")["spec"]["template"]["spec"]["containers"][0]
        command = " ".join(worker["livenessProbe"]["exec"]["command"])
        assert 'celery -b "$KPI_REDIS_URL" inspect ping -d "celery@$HOSTNAME"' in command
        assert "readinessProbe" not in worker


def test_every_pod_runs_non_root_read_only_with_resources_and_no_token(default, production):
    for documents in (default, production):
        for doc, spec in pod_specs(documents):
            where = doc["metadata"]["name"]
            assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] != 0, where
            assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, where
            assert spec["automountServiceAccountToken"] is False, where
            for container in spec["containers"]:
                context = container["securityContext"]
                assert context["readOnlyRootFilesystem"] is True, where
                assert context["allowPrivilegeEscalation"] is False, where
                assert context["capabilities"] == {"drop": ["ALL"]}, where
                resources = container["resources"]
                assert {"cpu", "memory"} <= set(resources["requests"]) and "memory" in resources["limits"], where
                assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"], where
            assert {v["name"] for v in spec["volumes"]} >= {"tmp"}


SECRET_VARIABLES = {
    "KPI_SECRET_KEY",
    "KPI_ENCRYPTION_KEYS",
    "KPI_DB_APP_PASSWORD",
    "KPI_DB_CROSS_TENANT_PASSWORD",
    "KPI_DB_OWNER_PASSWORD",
    "KPI_REDIS_PASSWORD",
    "KPI_SUPERUSER_DATABASE_URL",
}


def test_secrets_come_by_secret_key_ref_only(default, production):
    for documents in (default, production):
        assert by_kind(documents, "Secret") == {}, "no Secret is made unless secrets.create is on"
        for config in by_kind(documents, "ConfigMap").values():
            assert not SECRET_VARIABLES & set(config["data"]), config["metadata"]["name"]
        for doc, spec in pod_specs(documents):
            for container in spec["containers"]:
                for name, variable in env_of(container).items():
                    if name in SECRET_VARIABLES:
                        assert set(variable) == {"name", "valueFrom"} and "secretKeyRef" in variable["valueFrom"]
                    elif name.endswith("_URL") and "@" in variable["value"]:
                        credentials = variable["value"].split("@")[0]
                        assert "$(" in credentials, f"{name} in {doc['metadata']['name']} holds a literal password"


def test_one_beat_that_cannot_run_twice(default, production):
    for documents in (default, production, render({"beat": {"replicas": 3}})):
        beat = component(documents, "Deployment", "beat")
        assert beat["spec"]["replicas"] == 1
        assert beat["spec"]["strategy"] == {"type": "Recreate"}
        assert not any(
            d["kind"] in ("HorizontalPodAutoscaler", "PodDisruptionBudget") and d["metadata"]["name"].endswith("-beat")
            for d in documents
        )


def test_default_values_go_through_the_release_pgbouncer(default):
    kinds = [d["kind"] for d in default]
    assert "HorizontalPodAutoscaler" not in kinds and "Ingress" not in kinds
    assert component(default, "Deployment", "web")["spec"]["replicas"] == 2
    assert component(default, "Deployment", "pgbouncer")["spec"]["replicas"] == 2
    env = env_of(component(default, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0])
    assert env["KPI_DATABASE_URL"]["value"] == (
        "postgresql+psycopg://kpi_app:$(KPI_DB_APP_PASSWORD)@kpi-kpi-platform-pgbouncer:6432/kpi?sslmode=prefer"
    )
    assert env["KPI_REDIS_URL"]["value"] == "redis://redis:6379/0"
    config = by_kind(default, "ConfigMap")[f"{RELEASE}-kpi-platform-config"]["data"]
    assert config["KPI_ENV"] == "production" and config["KPI_DATABASE_PGBOUNCER"] == "1"
    # A variable is referenced only after it is defined (Kubernetes expands $(NAME) in order).
    names = list(env)
    assert names.index("KPI_DB_APP_PASSWORD") < names.index("KPI_DATABASE_URL")


@pytest.mark.parametrize(
    ("pooler", "host", "pgbouncer"),
    [({}, "postgresql:5432", "0"), ({"poolerHost": "pooler.db", "poolerPort": 6543}, "pooler.db:6543", "1")],
    ids=["direct", "own-pooler"],
)
def test_without_the_release_pgbouncer(pooler, host, pgbouncer):
    documents = render({"pgbouncer": {"enabled": False}, "externalPostgresql": {"sslmode": "require", **pooler}})
    assert not [d for d in documents if d["metadata"]["name"].endswith("-pgbouncer")]
    env = env_of(component(documents, "Deployment", "worker")["spec"]["template"]["spec"]["containers"][0])
    assert env["KPI_DATABASE_URL"]["value"].endswith(f"@{host}/kpi?sslmode=require")
    config = by_kind(documents, "ConfigMap")[f"{RELEASE}-kpi-platform-config"]["data"]
    assert config["KPI_DATABASE_PGBOUNCER"] == pgbouncer
    for doc in documents:
        kubernetes_validate.validate(doc, KUBE_VERSIONS[-1], strict=True)


def test_redis_with_tls_and_a_password():
    documents = render({"externalRedis": {"tls": True, "auth": True}})
    env = env_of(component(documents, "Deployment", "beat")["spec"]["template"]["spec"]["containers"][0])
    assert env["KPI_REDIS_URL"]["value"] == "rediss://:$(KPI_REDIS_PASSWORD)@redis:6379/0?ssl_cert_reqs=required"
    assert "secretKeyRef" in env["KPI_REDIS_PASSWORD"]["valueFrom"]


def test_production_values_scale_out_behind_tls_and_pgbouncer(production):
    hpas = by_kind(production, "HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} == {
        f"{RELEASE}-kpi-platform-web",
        f"{RELEASE}-kpi-platform-worker",
    }
    for name in ("web", "worker"):
        assert "replicas" not in component(production, "Deployment", name)["spec"], "the HPA owns the replicas"
    pdbs = by_kind(production, "PodDisruptionBudget")
    assert {p["metadata"]["labels"]["app.kubernetes.io/component"] for p in pdbs.values()} == {
        "web",
        "worker",
        "pgbouncer",
    }

    ingress = next(iter(by_kind(production, "Ingress").values()))
    hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
    assert hosts <= {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}, "every host is served over TLS"
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == f"{RELEASE}-kpi-platform"

    env = env_of(component(production, "Deployment", "worker")["spec"]["template"]["spec"]["containers"][0])
    assert "@kpi-kpi-platform-pgbouncer:6432/kpi" in env["KPI_DATABASE_URL"]["value"]
    assert "@kpi-kpi-platform-pgbouncer:6432/kpi" in env["KPI_CROSS_TENANT_DATABASE_URL"]["value"]
    assert env["KPI_REDIS_URL"]["value"] == "redis://:$(KPI_REDIS_PASSWORD)@redis.cache.example.internal:6379/0"
    config = by_kind(production, "ConfigMap")[f"{RELEASE}-kpi-platform-config"]["data"]
    assert config["KPI_DATABASE_PGBOUNCER"] == "1" and config["KPI_BASE_DOMAIN"] == "kpi.example.gov.vn"
    ini = by_kind(production, "ConfigMap")[f"{RELEASE}-kpi-platform-pgbouncer"]["data"]["pgbouncer.ini"]
    assert "pool_mode = transaction" in ini and "kpi = host=pg-primary.db.example.internal port=5432" in ini

    policies = by_kind(production, "NetworkPolicy")
    web_policy = policies[f"{RELEASE}-kpi-platform-web"]["spec"]["ingress"]
    assert web_policy[0]["from"] == PRODUCTION["networkPolicy"]["ingressFrom"]
    app_egress = policies[f"{RELEASE}-kpi-platform-app"]["spec"]["egress"]
    ports = {p["port"] for rule in app_egress for p in rule["ports"]}
    assert ports == {53, 5432, 6432, 6379, 443}
    assert policies[f"{RELEASE}-kpi-platform-app"]["spec"]["ingress"] == []


def test_config_change_rolls_the_pods(default):
    before = component(default, "Deployment", "web")["spec"]["template"]["metadata"]["annotations"]
    after = component(render({"config": {"tokenMaxDays": 30}}), "Deployment", "web")["spec"]["template"]["metadata"]
    assert before["checksum/config"] != after["annotations"]["checksum/config"]
