{{/* The seven services, in start order of importance (gateway last in the local stack, first here). */}}
{{- define "haven.serviceNames" -}}
gateway session conversation safety billing memory audit
{{- end -}}

{{- define "haven.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "haven.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of one service's objects: <fullname>-<service>. Call with (dict "root" $ "name" "session"). */}}
{{- define "haven.componentName" -}}
{{- printf "%s-%s" (include "haven.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "haven.chartLabel" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object of the release. */}}
{{- define "haven.labels" -}}
helm.sh/chart: {{ include "haven.chartLabel" . }}
app.kubernetes.io/part-of: haven
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Selector of all pods of the release (NetworkPolicies). */}}
{{- define "haven.releaseSelector" -}}
app.kubernetes.io/part-of: haven
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector of one service's pods. Call with (dict "root" $ "name" "session"). */}}
{{- define "haven.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "haven.componentLabels" -}}
{{ include "haven.labels" .root }}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Effective settings of one service: serviceDefaults overridden by services.<name>. Returns YAML. */}}
{{- define "haven.serviceValues" -}}
{{- $defaults := deepCopy .root.Values.serviceDefaults -}}
{{- $own := deepCopy (index .root.Values.services .name) -}}
{{- toYaml (mergeOverwrite $defaults $own) -}}
{{- end -}}

{{- define "haven.image" -}}
{{- $svc := index .root.Values.services .name -}}
{{- $repo := $svc.image.repository | default (printf "%s%s" .root.Values.image.repositoryPrefix .name) -}}
{{- $tag := $svc.image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}

{{- define "haven.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "haven.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Secret holding JWT_SECRET / MASTER_KEY / OPENAI_API_KEY, or "" when there is none. */}}
{{- define "haven.secretName" -}}
{{- if .Values.secrets.existingSecret -}}
{{- .Values.secrets.existingSecret -}}
{{- else if or .Values.secrets.jwtSecret .Values.secrets.masterKey .Values.secrets.openaiApiKey -}}
{{- printf "%s-secrets" (include "haven.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/*
gRPC address of a service for the others: the headless Service, resolved by grpc-js's DNS
resolver so the round_robin policy (libs/platform grpc client) spreads calls over all ready pods;
a ClusterIP would pin each long-lived HTTP/2 connection to one pod.
*/}}
{{- define "haven.grpcAddr" -}}
{{- printf "dns:///%s-grpc.%s.svc:%d" (include "haven.componentName" .) .root.Release.Namespace (int .root.Values.ports.grpc) -}}
{{- end -}}

{{/* Fails rendering when production would run on development secrets. */}}
{{- define "haven.validateProduction" -}}
{{- if eq .Values.environment "production" -}}
{{- if not .Values.secrets.existingSecret -}}
{{- if or (not .Values.secrets.jwtSecret) (not .Values.secrets.masterKey) -}}
{{- fail "secrets: environment=production needs secrets.existingSecret (recommended) or both secrets.jwtSecret and secrets.masterKey" -}}
{{- end -}}
{{- end -}}
{{- if lt (int .Values.nats.streamReplicas) 3 -}}
{{- fail "nats.streamReplicas: environment=production needs JetStream streams with 3 replicas" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* An env var whose value comes from a URL or a Secret key. Call with (dict "env" "NATS_URL" "conn" .Values.nats). */}}
{{- define "haven.connectionEnv" -}}
- name: {{ .env }}
{{- if .conn.secretKeyRef }}
  valueFrom:
    secretKeyRef:
      name: {{ .conn.secretKeyRef.name }}
      key: {{ .conn.secretKeyRef.key }}
{{- else }}
  value: {{ .conn.url | quote }}
{{- end }}
{{- end -}}
