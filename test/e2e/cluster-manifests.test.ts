// The deployment files agree with each other and with the code: the Dockerfiles lint clean and
// run as non-root, the Kubernetes probes hit the routes the server has, the grace period covers
// the drain, and every configured variable is one the launcher accepts.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { launcherOptionsFromEnv, MemoryRegistry } from "callwright";
import { validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const root = join(import.meta.dirname, "..", "..");
const k8s = join(root, "deploy", "k8s");

type Manifest = {
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
};

async function manifests(): Promise<Manifest[]> {
  const out: Manifest[] = [];
  for (const file of (await readdir(k8s)).filter((f) => f.endsWith(".yaml"))) {
    for (const doc of parseAllDocuments(await readFile(join(k8s, file), "utf8"))) {
      expect(doc.errors, file).toEqual([]);
      out.push(doc.toJS() as Manifest);
    }
  }
  return out;
}

function find(all: Manifest[], kind: string, name: string): Manifest {
  const m = all.find((x) => x.kind === kind && x.metadata.name === name);
  if (m === undefined) throw new Error(`no ${kind} ${name} in deploy/k8s`);
  return m;
}

// biome-ignore lint/suspicious/noExplicitAny: a parsed manifest is walked as plain data
type Any = any;

describe("deploy/", () => {
  it.each([
    ["deploy/Dockerfile", "node examples/local-voice/dist/agent.js serve"],
    ["packages/core/src/scaffold/templates/Dockerfile", "node dist/agent.js serve"],
  ])(
    "%s lints clean, is multi-stage, runs as a non-root user and serves on 0.0.0.0:8000",
    async (file, start) => {
      const text = await readFile(join(root, file), "utf8");
      expect(validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
      expect(text.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
      expect(text).toMatch(/^(FROM |ARG NODE_IMAGE=)node:20-bookworm-slim/m);
      expect(text).toMatch(
        /apt-get install -y --no-install-recommends flite pocketsphinx pocketsphinx-en-us/,
      );
      const users = [...text.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
      expect(users.at(-1)).toBe("node");
      const cmd = JSON.parse(/^CMD (\[.*\])\s*$/m.exec(text)?.[1] ?? "[]") as string[];
      expect(cmd.join(" ")).toBe(`${start} --host 0.0.0.0 --port 8000`);
    },
  );

  it("has Kubernetes manifests whose probes, ports, grace period and config fit the server", async () => {
    const all = await manifests();
    const deployment: Any = find(all, "Deployment", "callwright-agent");
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    const port = container.ports.find((p: Any) => p.name === "http");
    expect(port.containerPort).toBe(8000);
    expect(container.readinessProbe.httpGet).toEqual({ path: "/ready", port: "http" });
    expect(container.livenessProbe.httpGet).toEqual({ path: "/health", port: "http" });
    expect(pod.securityContext.runAsNonRoot).toBe(true);

    const config = find(all, "ConfigMap", "callwright-config").data!;
    expect(container.envFrom).toContainEqual({ configMapRef: { name: "callwright-config" } });
    const drainS = Number(config.CALLWRIGHT_DRAIN_TIMEOUT_S);
    const preStopS = Number(container.lifecycle.preStop.exec.command[1]);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(drainS + preStopS + 5);

    // every value is one the launcher accepts (a bad one would stop the pod at start)
    const options = launcherOptionsFromEnv(config, { registryFactory: () => new MemoryRegistry() });
    expect(options.drainTimeoutMs).toBe(drainS * 1000);
    expect(options.registryTtlMs).toBeGreaterThan(options.maintenanceIntervalMs ?? 5_000);
    for (const name of Object.keys(config)) expect(name).toMatch(/^CALLWRIGHT_/);

    // the Redis URL names the Redis Service
    const redis: Any = find(all, "Service", "callwright-redis");
    expect(config.CALLWRIGHT_REDIS_URL).toBe(`redis://callwright-redis:${redis.spec.ports[0].port}/0`);
    const service: Any = find(all, "Service", "callwright-agent");
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(service.spec.ports[0].targetPort).toBe("http");
  });

  it("lists in the kustomization only files that exist", async () => {
    const kustomization: Any = parseAllDocuments(
      await readFile(join(k8s, "kustomization.yaml"), "utf8"),
    )[0]!.toJS();
    const files = await readdir(k8s);
    for (const resource of kustomization.resources) expect(files).toContain(resource);
  });
});
