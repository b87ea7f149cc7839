{{/*
The gateway as a container in your own pod. In your Deployment's containers list:
  {{- include "portcullis.sidecar" (dict "Values" .Values.portcullis "Release" .Release "Chart" .Chart) | nindent 8 }}
and mount the ConfigMap "<release>-portcullis" (rendered by this chart with mode: sidecar) as a volume named portcullis-config.
*/}}
{{- define "portcullis.sidecar" -}}
- name: portcullis
  image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  args: ["start", "-c", "/etc/portcullis/portcullis.yaml"]
  env:
    {{- range $name, $ref := .Values.secretEnv }}
    - name: {{ $name }}
      valueFrom: { secretKeyRef: { name: {{ $ref.secret }}, key: {{ $ref.key }} } }
    {{- end }}
  ports:
    {{- range .Values.service.ports }}
    - name: {{ .name }}
      containerPort: {{ .port }}
    {{- end }}
  readinessProbe: { httpGet: { path: /readyz, port: 8900 }, periodSeconds: 5 }
  livenessProbe: { httpGet: { path: /healthz, port: 8900 }, periodSeconds: 10 }
  resources: {{- toYaml .Values.resources | nindent 4 }}
  securityContext: {{- toYaml .Values.securityContext | nindent 4 }}
  volumeMounts:
    - { name: portcullis-config, mountPath: /etc/portcullis, readOnly: true }
    - { name: portcullis-spool, mountPath: /var/lib/portcullis }
{{- end -}}
