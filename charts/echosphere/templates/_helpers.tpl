{{/* Names and labels shared by the templates. */}}

{{- define "echosphere.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "echosphere.operatorName" -}}
{{- printf "%s-operator" (include "echosphere.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "echosphere.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "echosphere.operatorName" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "echosphere.selectorLabels" -}}
app.kubernetes.io/name: echosphere-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "echosphere.labels" -}}
{{ include "echosphere.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: echosphere
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "echosphere.image" -}}
{{- printf "%s:%s" .Values.operator.image.repository (default .Chart.AppVersion .Values.operator.image.tag) -}}
{{- end -}}

{{/* The permissions of the operator, as RBAC rules (shared by ClusterRole and Roles). */}}
{{- define "echosphere.rules" -}}
# EchoClusters: watched and patched by kopf; status and finalizers written.
- apiGroups: [echosphere.io]
  resources: [echoclusters]
  verbs: [get, list, watch, patch]
- apiGroups: [echosphere.io]
  resources: [echoclusters/status]
  verbs: [get, patch]
- apiGroups: [echosphere.io]
  resources: [echoclusters/finalizers]
  verbs: [update]
# Warnings and progress as Events on the EchoCluster.
- apiGroups: ["", events.k8s.io]
  resources: [events]
  verbs: [create, patch]
# Children, written with server-side apply (apply may create).
- apiGroups: [""]
  resources: [configmaps, services, serviceaccounts]
  verbs: [get, create, patch]
- apiGroups: [apps]
  resources: [statefulsets, deployments]
  verbs: [get, create, patch]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [get, create, patch]
# Children that go away when their feature is switched off.
- apiGroups: [networking.k8s.io]
  resources: [ingresses]
  verbs: [get, create, patch, delete]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [get, create, patch, delete]
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles, rolebindings]
  verbs: [get, create, patch, delete]
# The signing keys Secret (created once) and the connection Secrets (read).
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, create]
# Node pods: a pod whose drain was cancelled is restarted.
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, delete]
# Node Leases: read for live nodes; the operator also grants the nodes these
# verbs in their own Role, which RBAC allows only to holders of them.
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, list, watch, create, update, patch, delete]
{{- end -}}
