/**
 * Offline validation of rendered manifests against the Kubernetes OpenAPI schemas (the
 * kubernetes-models packages: built-in kinds, and the prometheus-operator CRDs).
 */
interface ModelClass {
  new (data: unknown): { validate(): void };
}

function modulePath(apiVersion: string, kind: string): string {
  if (apiVersion.startsWith('monitoring.coreos.com/')) return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  // Core kinds ("v1") live at kubernetes-models/v1/<Kind>, the others at <group>/<version>/<Kind>.
  return `kubernetes-models/${apiVersion}/${kind}`;
}

const models = new Map<string, ModelClass>();

async function modelFor(apiVersion: string, kind: string): Promise<ModelClass> {
  const key = `${apiVersion}/${kind}`;
  const cached = models.get(key);
  if (cached) return cached;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(modulePath(apiVersion, kind))) as Record<string, unknown>;
  } catch {
    throw new Error(`no schema for ${key}: unknown apiVersion/kind`);
  }
  const model = mod[kind];
  if (typeof model !== 'function') throw new Error(`no schema for ${key}`);
  models.set(key, model as ModelClass);
  return model as ModelClass;
}

/** Returns the schema violations of one manifest ([] when valid). */
export async function schemaViolations(manifest: { apiVersion: string; kind: string }): Promise<string[]> {
  const Model = await modelFor(manifest.apiVersion, manifest.kind);
  try {
    new Model(manifest).validate();
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}
