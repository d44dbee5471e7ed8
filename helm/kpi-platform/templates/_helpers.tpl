{{/* Names and labels. */}}
{{- define "kpi.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name; component names add up to 15 characters to it (DNS labels: 63). */}}
{{- define "kpi.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 45 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 45 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 45 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kpi.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "kpi.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kpi-platform
{{- end -}}

{{/* Selector labels of one component: include "kpi.selectorLabels" (list $ "web") */}}
{{- define "kpi.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "kpi.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "kpi.componentLabels" -}}
{{ include "kpi.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "kpi.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "kpi.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kpi.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kpi.secretName" -}}
{{- default (include "kpi.fullname" .) .Values.secrets.name -}}
{{- end -}}

{{- define "kpi.configName" -}}
{{- include "kpi.fullname" . }}-config
{{- end -}}

{{/* Where the app role and the cross-tenant door connect: the chart's PgBouncer, a pooler of
     your own, or PostgreSQL itself. */}}
{{- define "kpi.appDatabaseHost" -}}
{{- if .Values.pgbouncer.enabled -}}
{{ include "kpi.fullname" . }}-pgbouncer:{{ .Values.pgbouncer.port }}
{{- else if .Values.externalPostgresql.poolerHost -}}
{{ .Values.externalPostgresql.poolerHost }}:{{ .Values.externalPostgresql.poolerPort }}
{{- else -}}
{{ .Values.externalPostgresql.host }}:{{ .Values.externalPostgresql.port }}
{{- end -}}
{{- end -}}

{{- define "kpi.behindPgbouncer" -}}
{{- if or .Values.pgbouncer.enabled .Values.externalPostgresql.poolerHost -}}1{{- else -}}0{{- end -}}
{{- end -}}

{{- define "kpi.secretRef" -}}
valueFrom:
  secretKeyRef:
    name: {{ include "kpi.secretName" (index . 0) }}
    key: {{ index . 1 }}
{{- end -}}

{{/* The environment of every app container (web, worker, beat, migration and create-roles Jobs):
     the ConfigMap, then the secrets by secretKeyRef, then the URLs built from them (Kubernetes
     expands $(NAME) to a variable defined earlier in the list). */}}
{{- define "kpi.env" -}}
{{- $pg := .Values.externalPostgresql -}}
{{- $app := include "kpi.appDatabaseHost" . -}}
{{- /* The chart's PgBouncer takes plain connections inside the cluster (the NetworkPolicy admits only
       this release's pods) and speaks TLS to PostgreSQL (pgbouncer.serverTlsSslmode). */ -}}
{{- $query := printf "?sslmode=%s" (ternary "prefer" $pg.sslmode .Values.pgbouncer.enabled) -}}
envFrom:
  - configMapRef:
      name: {{ include "kpi.configName" . }}
env:
  - name: KPI_SECRET_KEY
    {{- include "kpi.secretRef" (list . "KPI_SECRET_KEY") | nindent 4 }}
  - name: KPI_ENCRYPTION_KEYS
    {{- include "kpi.secretRef" (list . "KPI_ENCRYPTION_KEYS") | nindent 4 }}
  {{- /* /metrics answers only with this token; without the key in the Secret it answers 404. */}}
  - name: KPI_METRICS_TOKEN
    valueFrom:
      secretKeyRef:
        name: {{ include "kpi.secretName" . }}
        key: KPI_METRICS_TOKEN
        optional: true
  - name: KPI_DB_APP_PASSWORD
    {{- include "kpi.secretRef" (list . "KPI_DB_APP_PASSWORD") | nindent 4 }}
  - name: KPI_DB_CROSS_TENANT_PASSWORD
    {{- include "kpi.secretRef" (list . "KPI_DB_CROSS_TENANT_PASSWORD") | nindent 4 }}
  {{- if .Values.externalRedis.auth }}
  - name: KPI_REDIS_PASSWORD
    {{- include "kpi.secretRef" (list . "KPI_REDIS_PASSWORD") | nindent 4 }}
  {{- end }}
  - name: KPI_DATABASE_URL
    value: {{ printf "postgresql+psycopg://%s:$(KPI_DB_APP_PASSWORD)@%s/%s%s" .Values.config.dbAppRole $app $pg.database $query | quote }}
  - name: KPI_CROSS_TENANT_DATABASE_URL
    value: {{ printf "postgresql+psycopg://%s:$(KPI_DB_CROSS_TENANT_PASSWORD)@%s/%s%s" .Values.config.dbCrossTenantRole $app $pg.database $query | quote }}
  - name: KPI_REDIS_URL
    {{- /* Celery refuses a rediss:// URL that does not say how to check the server's certificate. */}}
    value: {{ printf "%s://%s%s:%v/%v%s" (ternary "rediss" "redis" .Values.externalRedis.tls) (ternary ":$(KPI_REDIS_PASSWORD)@" "" .Values.externalRedis.auth) .Values.externalRedis.host .Values.externalRedis.port .Values.externalRedis.db (ternary "?ssl_cert_reqs=required" "" .Values.externalRedis.tls) | quote }}
{{- end -}}

{{/* The migration Job's extra variable: the owner's URL, straight to PostgreSQL (DDL never goes
     through a transaction pooler). */}}
{{- define "kpi.migrationEnv" -}}
{{- $pg := .Values.externalPostgresql -}}
- name: KPI_DB_OWNER_PASSWORD
  {{- include "kpi.secretRef" (list . "KPI_DB_OWNER_PASSWORD") | nindent 2 }}
- name: KPI_MIGRATION_DATABASE_URL
  value: {{ printf "postgresql+psycopg://%s:$(KPI_DB_OWNER_PASSWORD)@%s:%v/%s?sslmode=%s" $pg.ownerUser $pg.host $pg.port $pg.database $pg.sslmode | quote }}
{{- end -}}

{{- define "kpi.podSpecCommon" -}}
serviceAccountName: {{ include "kpi.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "kpi.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end -}}

{{- define "kpi.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* Rolls the pods when the configuration changes. */}}
{{- define "kpi.checksums" -}}
checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if .Values.secrets.create }}
checksum/secret: {{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- end -}}

{{- define "kpi.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
