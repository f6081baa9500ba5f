import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ENV_NAMES, KUBERNETES, drainSeconds, kubernetesManifests, readYaml, schemaProblems, unknownFieldProblems, type Manifest } from '../support/deploy-files.js'

// deploy/kubernetes/: validated against the Kubernetes API schemas (kubernetes-models' compiled
// OpenAPI validators, plus TypeScript's excess-property check for unknown fields), then checked for
// what the issue asks of a deployment and for agreement with the service's own configuration.

const manifests = kubernetesManifests()
const one = (kind: string, name?: string): any => {
  const found = manifests.filter((m) => m.doc.kind === kind && (name === undefined || m.doc.metadata?.name === name))
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`)
  return found[0]!.doc
}

/** The ConfigMap as the process sees it: numbers as numbers. */
const configMap = one('ConfigMap').data as Record<string, string>
const shutdownGraceMs = Number(configMap.SHUTDOWN_GRACE_MS)

t.test('every manifest is valid against the Kubernetes schema of its kind', async (t) => {
  t.ok(manifests.length >= 9, `${manifests.length} objects`)
  for (const m of manifests) {
    t.same(await schemaProblems(m.doc), [], `${m.file}: ${m.doc.apiVersion} ${m.doc.kind} ${m.doc.metadata?.name}`)
  }
})

t.test('no manifest has a field the Kubernetes API does not know', async (t) => {
  t.same(await unknownFieldProblems(manifests), [])
})

t.test('the validators refuse what the API server would', async (t) => {
  const deployment = one('Deployment')
  const broken = structuredClone(deployment)
  broken.spec.replicas = 'two'
  t.match((await schemaProblems(broken)).join('\n'), /\/spec\/replicas must be integer/, 'a wrong type')
  const noContainers = structuredClone(deployment)
  delete noContainers.spec.template.spec.containers
  t.match((await schemaProblems(noContainers)).join('\n'), /containers/, 'a missing required field')
  t.match((await schemaProblems({ apiVersion: 'apps/v1', kind: 'Deployement' })).join('\n'), /no Kubernetes schema/, 'an unknown kind')
  const misspelt = structuredClone(deployment)
  const container = misspelt.spec.template.spec.containers[0]
  container.readinesProbe = container.readinessProbe
  const problems = await unknownFieldProblems([{ file: 'deployment.yaml', index: 0, doc: misspelt }])
  t.equal(problems.length, 1, 'one unknown field')
  t.match(problems[0], /deployment\.yaml #0: .*readinesProbe/)
})

t.test('kustomization applies every manifest but the example Secret and the migration Job', async (t) => {
  const kustomization = readYaml('deploy/kubernetes/kustomization.yaml')
  const files = new Set(manifests.map((m: Manifest) => m.file))
  for (const resource of kustomization.resources) t.ok(existsSync(join(KUBERNETES, resource)), `${resource} exists`)
  t.same([...files].filter((f) => !kustomization.resources.includes(f)).sort(), ['migrate-job.yaml', 'secret.example.yaml'])
})

t.test('every object is in the service namespace', async (t) => {
  const namespace = one('Namespace').metadata.name
  for (const m of manifests.filter((m) => m.doc.kind !== 'Namespace')) t.equal(m.doc.metadata.namespace, namespace, `${m.file} ${m.doc.kind}`)
})

t.test('configuration: every name is one the service reads; the Secret holds placeholders only', async (t) => {
  for (const name of Object.keys(configMap)) t.ok(ENV_NAMES.has(name), `ConfigMap ${name} is read by the service (config or a provider's manifest)`)
  const secret = one('Secret')
  t.equal(secret.metadata.name, one('Deployment').spec.template.spec.containers[0].envFrom.find((e: any) => e.secretRef).secretRef.name)
  for (const [name, value] of Object.entries(secret.stringData as Record<string, string>)) {
    t.ok(ENV_NAMES.has(name), `Secret ${name} is read by the service (config or a provider's manifest)`)
    t.match(value, /CHANGE-ME/, `Secret ${name} is a placeholder`)
  }
  t.notOk(secret.data, 'no encoded values that could hide a real secret')
  t.equal(configMap.HOST, '0.0.0.0', 'listens on the pod IP')
  t.equal(configMap.MIGRATE_ON_BOOT, 'false', 'the Job migrates')
})

t.test('Deployment: replicas, probes, drain, resources, non-root, read-only root', async (t) => {
  const deployment = one('Deployment')
  const pod = deployment.spec.template.spec
  const [container, ...others] = pod.containers
  t.equal(others.length, 0)
  t.ok(deployment.spec.replicas >= 2, 'two or more replicas')
  t.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0, 'a rollout never lowers capacity')
  t.ok(Object.entries(deployment.spec.selector.matchLabels).every(([k, v]) => deployment.spec.template.metadata.labels[k] === v), 'the selector matches the pod template')

  const ports = Object.fromEntries(container.ports.map((p: any) => [p.name, p.containerPort]))
  t.equal(ports.http, Number(configMap.PORT), 'the http port is PORT')
  t.equal(ports.metrics, Number(configMap.METRICS_PORT), 'the metrics port is METRICS_PORT')
  t.same(container.readinessProbe.httpGet, { path: '/readyz', port: 'http' })
  t.same(container.livenessProbe.httpGet, { path: '/healthz', port: 'http' })
  t.same(container.startupProbe.httpGet, { path: '/healthz', port: 'http' })

  const preStop = container.lifecycle.preStop.exec.command as string[]
  t.same(preStop.slice(0, 1), ['sleep'])
  const preStopSeconds = Number(preStop[1])
  t.ok(shutdownGraceMs > 0, 'SHUTDOWN_GRACE_MS is set')
  t.ok(pod.terminationGracePeriodSeconds >= preStopSeconds + drainSeconds(configMap),
    `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} ≥ preStop ${preStopSeconds} s + the drain ${drainSeconds(configMap)} s (SHUTDOWN_GRACE_MS, SHUTDOWN_TIMEOUT_MS, the close margin)`)
  // A readiness check fails within periodSeconds × failureThreshold; the grace must outlast it.
  const readinessSeconds = container.readinessProbe.periodSeconds * container.readinessProbe.failureThreshold
  t.ok(preStopSeconds + shutdownGraceMs / 1000 >= readinessSeconds, 'requests are served until readiness has failed')

  for (const kind of ['requests', 'limits']) {
    t.ok(container.resources[kind].cpu, `cpu ${kind}`)
    t.ok(container.resources[kind].memory, `memory ${kind}`)
  }
  t.equal(pod.securityContext.runAsNonRoot, true)
  t.equal(pod.securityContext.runAsUser, 1000, 'the image\'s node user')
  t.equal(container.securityContext.readOnlyRootFilesystem, true)
  t.equal(container.securityContext.allowPrivilegeEscalation, false)
  t.same(container.securityContext.capabilities.drop, ['ALL'])
  const tmp = container.volumeMounts.find((v: any) => v.mountPath === '/tmp')
  t.ok(pod.volumes.find((v: any) => v.name === tmp?.name)?.emptyDir, '/tmp is a writable emptyDir')
  t.same(container.command, ['node', 'dist/src/server.js'], 'the Dockerfile\'s CMD')
})

t.test('Service, PodDisruptionBudget, HorizontalPodAutoscaler and Job agree with the Deployment', async (t) => {
  const deployment = one('Deployment')
  const podLabels = deployment.spec.template.metadata.labels
  const selects = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => podLabels[k] === v)

  const service = one('Service')
  t.ok(selects(service.spec.selector), 'the Service selects the pods')
  t.same(service.spec.ports.map((p: any) => p.targetPort), ['http'], 'the Service exposes the API, not the metrics port')

  const pdb = one('PodDisruptionBudget')
  t.ok(selects(pdb.spec.selector.matchLabels), 'the budget covers the pods')
  t.ok(pdb.spec.minAvailable >= 1 && pdb.spec.minAvailable < deployment.spec.replicas, 'a drain can proceed one pod at a time')

  const hpa = one('HorizontalPodAutoscaler')
  t.equal(hpa.apiVersion, 'autoscaling/v2')
  t.same(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name })
  t.ok(hpa.spec.minReplicas >= 2, 'never scaled below two')
  t.ok(hpa.spec.maxReplicas > hpa.spec.minReplicas)

  const job = one('Job')
  const migrate = job.spec.template.spec.containers[0]
  t.equal(migrate.image, deployment.spec.template.spec.containers[0].image, 'the same image as the Deployment')
  t.same(migrate.command, ['node', 'dist/src/scripts/migrate.js'])
  t.same(migrate.envFrom, deployment.spec.template.spec.containers[0].envFrom, 'the same configuration')
  t.equal(job.spec.template.spec.securityContext.runAsNonRoot, true)
  t.equal(migrate.securityContext.readOnlyRootFilesystem, true)
  const jobLabels = job.spec.template.metadata.labels
  t.notOk(Object.entries(service.spec.selector).every(([k, v]) => jobLabels[k] === v), 'the Service never routes to the migration pod')
})

t.test('NetworkPolicy: the metrics port only from Prometheus, the API from anywhere, nothing else', async (t) => {
  const policy = one('NetworkPolicy')
  const podLabels = one('Deployment').spec.template.metadata.labels
  t.ok(Object.entries(policy.spec.podSelector.matchLabels).every(([k, v]) => podLabels[k] === v), 'it selects the service pods')
  t.same(policy.spec.policyTypes, ['Ingress'])
  const rules = policy.spec.ingress as Array<{ from?: any[], ports?: Array<{ port: string | number }> }>
  t.ok(rules.every((r) => r.ports && r.ports.length > 0), 'no rule opens every port')
  const metricsPort = (p: { port: string | number }) => p.port === 'metrics' || p.port === Number(configMap.METRICS_PORT)
  const metricsRules = rules.filter((r) => r.ports!.some(metricsPort))
  t.equal(metricsRules.length, 1)
  const from = metricsRules[0]!.from ?? []
  t.ok(from.length > 0, 'the metrics rule names its peers')
  for (const peer of from) {
    t.ok(peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'], 'a named namespace')
    t.ok(peer.podSelector?.matchLabels, 'and pods in it')
    t.notOk(peer.ipBlock, 'no address ranges')
  }
  t.same(rules.filter((r) => !r.from).flatMap((r) => r.ports!.map((p) => p.port)), ['http'], 'only the API port is open to all')
})
