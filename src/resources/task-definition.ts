import { DeregisterTaskDefinitionCommand, ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand, type TaskDefinition } from "@aws-sdk/client-ecs";
import { findService, findTaskDefinition } from "../aws/ecs.js";
import type { Ctx, Deps, Resource, Target } from "../engine/types.js";
import { stackTags } from "../config/names.js";
import { checkOwnedWhenAdopting, lowerKeyValueTags } from "./owned.js";

const KEY = "task-definition";
/** The image tag a fresh stack points at until the first `deploy`: nobody pushes it, so it is never mistaken for a release. */
export const FIRST_DEPLOY_TAG = "awaiting-first-deploy";

export function databaseUrl(user: string, password: string, endpoint: string, port: string, db: string): string {
  // dj-database-url maps the postgis scheme to GeoDjango's PostGIS backend.
  return `postgis://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${endpoint}:${port}/${db}`;
}

const desired = (spec: Target, deps: Deps) => {
  const db = deps("db-instance");
  const secret = deps("secrets");
  return {
    cpu: String(spec.app.cpu),
    memory: String(spec.app.memory),
    architecture: spec.app.architecture,
    executionRoleArn: deps("iam-execution-role").roleArn!,
    containerPort: spec.app.containerPort,
    logGroup: deps("log-group").logGroupName!,
    repositoryUri: deps("ecr-repository").repositoryUri!,
    environment: {
      DATABASE_URL: databaseUrl(spec.database.username, secret.dbPassword!, db.endpoint!, db.port!, spec.database.name),
      SECRET_KEY: secret.secretKey!,
      DEBUG: spec.app.debug ? "True" : "False",
      ALLOWED_HOSTS: [deps("load-balancer").dnsName!, "localhost", ...spec.app.extraAllowedHosts].join(","),
    },
    containerHealthCheck: spec.app.containerHealthCheck,
  };
};
type Want = ReturnType<typeof desired>;

function register(ctx: Ctx, want: Want, image: string) {
  const c = ctx.names.container;
  return ctx.aws.ecs.send(new RegisterTaskDefinitionCommand({
    family: ctx.names.taskFamily,
    requiresCompatibilities: ["FARGATE"],
    networkMode: "awsvpc",
    cpu: want.cpu,
    memory: want.memory,
    runtimePlatform: { cpuArchitecture: want.architecture, operatingSystemFamily: "LINUX" },
    executionRoleArn: want.executionRoleArn,
    containerDefinitions: [{
      name: c,
      image,
      essential: true,
      portMappings: [{ containerPort: want.containerPort, protocol: "tcp" }],
      environment: Object.entries(want.environment).map(([name, value]) => ({ name, value })),
      logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": want.logGroup, "awslogs-region": ctx.spec.region, "awslogs-stream-prefix": c } },
      ...(want.containerHealthCheck
        ? { healthCheck: { command: ["CMD-SHELL", `curl -fs http://localhost:${want.containerPort}${ctx.spec.app.healthPath} || exit 1`], interval: 30, timeout: 5, retries: 3, startPeriod: 60 } }
        : {}),
    }],
    tags: lowerKeyValueTags(stackTags(ctx.spec, KEY)),
  }));
}

function attrsOf(td: TaskDefinition) {
  const c = td.containerDefinitions?.[0];
  const image = c?.image ?? "";
  return {
    cpu: td.cpu,
    memory: td.memory,
    architecture: td.runtimePlatform?.cpuArchitecture ?? "X86_64",
    executionRoleArn: td.executionRoleArn,
    containerPort: c?.portMappings?.[0]?.containerPort,
    logGroup: c?.logConfiguration?.options?.["awslogs-group"],
    repositoryUri: image.replace(/[:@][^:@/]*$/, ""),
    environment: Object.fromEntries((c?.environment ?? []).map((v) => [v.name, v.value])),
    containerHealthCheck: c?.healthCheck !== undefined,
  };
}

const revision = (arn: string) => Number(arn.split(":").at(-1));

const outputsOf = (td: TaskDefinition) => {
  const image = td.containerDefinitions?.[0]?.image ?? "";
  return { taskDefinitionArn: td.taskDefinitionArn!, family: td.family!, image, awaitingFirstDeploy: String(image.endsWith(`:${FIRST_DEPLOY_TAG}`)) };
};

/**
 * The task definition the service runs (else the family's latest). `up` never changes the image: that is
 * `deploy`'s. A spec change registers a new revision carrying the live image, so an `up` after a deploy keeps it.
 */
export const taskDefinition: Resource<Want> = {
  key: KEY,
  kind: "ecs:task-definition",
  dependsOn: ["iam-execution-role", "log-group", "ecr-repository", "db-instance", "load-balancer", "secrets"],
  title: (spec) => `task definition ${spec.appName} (Fargate ${spec.app.cpu} CPU / ${spec.app.memory} MiB)`,
  desired,
  async observe(ctx, prior) {
    const service = await findService(ctx);
    // The newer of what the service runs and what `up` last registered: a revision registered by an update
    // must reach the service, while a deploy from CI (which has no state file) is newer than our record.
    const candidates = [service?.taskDefinition, prior?.outputs.taskDefinitionArn ?? prior?.id]
      .filter((arn): arn is string => !!arn?.includes(":task-definition/"))
      .sort((a, b) => revision(b) - revision(a));
    let found;
    for (const ref of [...candidates, ctx.names.taskFamily]) {
      found = await findTaskDefinition(ctx, ref);
      if (found?.taskDefinition.status === "ACTIVE" || (found && ref === service?.taskDefinition)) break;
      found = undefined;
    }
    if (!found) return undefined;
    const td = found.taskDefinition;
    await checkOwnedWhenAdopting(ctx, prior, `task definition family ${ctx.names.taskFamily}`, td.taskDefinitionArn!, async () => found.tags);
    return { id: td.taskDefinitionArn!, attrs: attrsOf(td), outputs: outputsOf(td) };
  },
  async create(ctx, want) {
    const out = await register(ctx, want, `${want.repositoryUri}:${FIRST_DEPLOY_TAG}`);
    return { id: out.taskDefinition!.taskDefinitionArn!, outputs: outputsOf(out.taskDefinition!) };
  },
  async update(ctx, want, live) {
    // A new revision with the live image; observe picks it up through the returned ARN until the service runs it.
    const out = await register(ctx, want, live.outputs.image!);
    return outputsOf(out.taskDefinition!);
  },
  async delete(ctx) {
    const send = ctx.aws.ecs.send;
    let nextToken: string | undefined;
    do {
      const page = await send(new ListTaskDefinitionsCommand({ familyPrefix: ctx.names.taskFamily, status: "ACTIVE", nextToken }));
      for (const arn of page.taskDefinitionArns ?? []) await send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
      nextToken = page.nextToken;
    } while (nextToken);
  },
};
