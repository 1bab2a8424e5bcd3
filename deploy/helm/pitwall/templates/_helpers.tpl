{{/* Names and labels shared by every template. */}}

{{- define "pitwall.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "pitwall.labels" -}}
app.kubernetes.io/part-of: pitwall
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The selector of one service's pods; call with (dict "root" $ "name" "reception"). */}}
{{- define "pitwall.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/name: {{ .name }}
{{- end -}}

{{- define "pitwall.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "pitwall.kafkaCluster" -}}
{{- printf "%s-kafka" (include "pitwall.fullname" .) -}}
{{- end -}}

{{- define "pitwall.kafkaBootstrap" -}}
{{- if .Values.kafka.bootstrap -}}
{{- .Values.kafka.bootstrap -}}
{{- else if .Values.kafka.strimzi.enabled -}}
{{- printf "%s-kafka-bootstrap:9092" (include "pitwall.kafkaCluster" .) -}}
{{- else -}}
{{- fail "set kafka.bootstrap, or enable kafka.strimzi" -}}
{{- end -}}
{{- end -}}

{{- define "pitwall.pgCluster" -}}
{{- printf "%s-pg" (include "pitwall.fullname" .) -}}
{{- end -}}

{{- define "pitwall.pgHost" -}}
{{- if .Values.postgresql.host -}}
{{- .Values.postgresql.host -}}
{{- else if .Values.postgresql.cluster.enabled -}}
{{- printf "%s-rw" (include "pitwall.pgCluster" .) -}}
{{- else -}}
{{- fail "set postgresql.host, or enable postgresql.cluster" -}}
{{- end -}}
{{- end -}}

{{- define "pitwall.dbSecret" -}}
{{- if .Values.secrets.database.existingSecret -}}
{{- .Values.secrets.database.existingSecret -}}
{{- else if .Values.postgresql.cluster.enabled -}}
{{- printf "%s-app" (include "pitwall.pgCluster" .) -}}
{{- else -}}
{{- fail "set secrets.database.existingSecret (the database password's Secret)" -}}
{{- end -}}
{{- end -}}

{{/* The environment of one service's containers; call with (dict "root" $ "name" "reception" "svc" $svc). */}}
{{- define "pitwall.env" -}}
{{- $root := .root -}}
{{- $prefix := printf "PITWALL_%s_" (upper .name) -}}
- name: PITWALL_KAFKA_BOOTSTRAP
  value: {{ include "pitwall.kafkaBootstrap" $root | quote }}
- name: {{ $prefix }}DATABASE_URL
  value: {{ printf "postgresql+asyncpg://%s@%s:%v/%s" $root.Values.postgresql.user (include "pitwall.pgHost" $root) $root.Values.postgresql.port .name | quote }}
- name: PITWALL_DATABASE_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ include "pitwall.dbSecret" $root }}, key: {{ $root.Values.secrets.database.key }}}
- name: PITWALL_JWT_SECRET
  valueFrom:
    secretKeyRef: {name: {{ $root.Values.secrets.jwt.existingSecret }}, key: {{ $root.Values.secrets.jwt.key }}}
{{- if eq .name "reception" }}
- name: PITWALL_RECEPTION_OEM_API_KEY
  valueFrom:
    secretKeyRef: {name: {{ $root.Values.secrets.oem.existingSecret }}, key: {{ $root.Values.secrets.oem.apiKeyKey }}}
- name: PITWALL_OEM_WEBHOOK_SECRET
  valueFrom:
    secretKeyRef: {name: {{ $root.Values.secrets.oem.existingSecret }}, key: {{ $root.Values.secrets.oem.webhookSecretKey }}}
{{- end }}
- name: PITWALL_LOG_LEVEL
  value: {{ $root.Values.logLevel | quote }}
{{- if .dedicated }}
{{- if eq .role "relay" }}
- name: {{ $prefix }}RUN_CONSUMER
  value: "false"
- name: {{ $prefix }}RELAY_POLL_SECONDS
  value: {{ $root.Values.relay.pollSeconds | quote }}
{{- else }}
- name: {{ $prefix }}RUN_RELAY
  value: "false"
{{- end }}
{{- end }}
{{- range $key, $value := .svc.env }}
- name: {{ $key }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* What a workload is for: the KPI consumes, a relay publishes, the others serve an API. */}}
{{- define "pitwall.component" -}}
{{- if eq .role "relay" -}}relay{{- else if eq .service "kpi" -}}consumer{{- else -}}api{{- end -}}
{{- end -}}
