import { DeregisterTaskDefinitionCommand, ListTaskDefinitionsCommand, type TaskDefinition } from "@aws-sdk/client-ecs";
import { activeTaskDefinition, findService, registerTaskDefinition } from "../aws/ecs.js";
import { assertOurs, ecsTagList, type Tags } from "../aws/tags.js";
import { CONTAINER, FIRST_DEPLOY_TAG, awaitingFirstDeploy } from "../config/names.js";
import type { STACK_ENVIRONMENT } from "../config/schema.js";
import type { RefFn } from "../engine/types.js";
import type { Ctx, DesiredStack } from "./context.js";
import { dbInstance } from "./db-instance.js";
import { ecrRepository } from "./ecr-repository.js";
import { executionRole } from "./iam-role.js";
import { loadBalancer } from "./load-balancer.js";
import { logGroup } from "./log-group.js";
import { secrets } from "./secrets.js";
import { tagged } from "./tagging.js";

const KEY = "task-definition";

export function databaseUrl(user: string, password: string, endpoint: string, port: string, db: string): string {
  // dj-database-url maps the postgis scheme to GeoDjango's PostGIS backend.
  return `postgis://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${endpoint}:${port}/${db}`;
}

type StackEnvironment = (typeof STACK_ENVIRONMENT)[number];

const desired = (spec: DesiredStack, ref: RefFn) => {
  const db = ref(dbInstance);
  const secret = ref(secrets);
  // Typed by the list the schema keeps app.environment and app.secrets out of, so the two cannot drift apart.
  const own: Partial<Record<StackEnvironment, string>> = {
    DATABASE_URL: databaseUrl(spec.database.username, secret.dbPassword, db.endpoint, db.port, spec.database.name),
    SECRET_KEY: secret.secretKey,
    DEBUG: spec.app.debug ? "True" : "False",
    ALLOWED_HOSTS: [ref(loadBalancer).dnsName, "localhost", ...(spec.https ? [spec.https.domain] : []), ...spec.app.extraAllowedHosts].join(","),
    // Django 4+ checks the Origin of unsafe requests over HTTPS against this list.
    ...(spec.https ? { CSRF_TRUSTED_ORIGINS: `https://${spec.https.domain}` } : {}),
  };
  return {
    cpu: String(spec.app.cpu),
    memory: String(spec.app.memory),
    architecture: spec.app.architecture,
    executionRoleArn: ref(executionRole).roleArn,
    containerPort: spec.app.containerPort,
    logGroup: ref(logGroup).logGroupName,
    repositoryUri: ref(ecrRepository).repositoryUri,
    environment: { ...spec.app.environment, ...own } as Record<string, string>,
    // Names and ARNs only: ECS reads the values when a task starts (the execution role may read exactly these).
    secrets: spec.app.secrets,
    containerHealthCheck: spec.app.containerHealthCheck,
  };
};
type Want = ReturnType<typeof desired> & { tags: Tags };
type Attrs = Omit<{ [K in keyof Want]?: Want[K] }, "tags"> & { tags: Tags };
type Out = { taskDefinitionArn: string; family: string; image: string };

async function register(ctx: Ctx, want: Want, image: string) {
  return registerTaskDefinition(ctx, {
    family: ctx.names.taskFamily,
    requiresCompatibilities: ["FARGATE"],
    networkMode: "awsvpc",
    cpu: want.cpu,
    memory: want.memory,
    runtimePlatform: { cpuArchitecture: want.architecture, operatingSystemFamily: "LINUX" },
    executionRoleArn: want.executionRoleArn,
    containerDefinitions: [{
      name: CONTAINER,
      image,
      essential: true,
      portMappings: [{ containerPort: want.containerPort, protocol: "tcp" }],
      environment: Object.entries(want.environment).map(([name, value]) => ({ name, value })),
      ...(Object.keys(want.secrets).length > 0 ? { secrets: Object.entries(want.secrets).map(([name, valueFrom]) => ({ name, valueFrom })) } : {}),
      logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": want.logGroup, "awslogs-region": ctx.spec.region, "awslogs-stream-prefix": CONTAINER } },
      ...(want.containerHealthCheck
        ? { healthCheck: { command: ["CMD-SHELL", `curl -fs http://localhost:${want.containerPort}${ctx.spec.app.healthPath} || exit 1`], interval: 30, timeout: 5, retries: 3, startPeriod: 60 } }
        : {}),
    }],
    tags: ecsTagList(want.tags),
  }, (await findService(ctx))?.taskDefinition);
}

/**
 * `ourRepository`: the stack's ECR repository as state knows it. A deployed image is `deploy`'s fact, whatever
 * registry `deploy --image` took it from: the revision then counts as on the stack's repository, so `up` keeps
 * it instead of registering a new revision on every run. Only the first-deploy placeholder follows the repository.
 */
function attrsOf(td: TaskDefinition, tags: Tags, ourRepository: string | undefined): Attrs {
  const c = td.containerDefinitions?.[0];
  const image = c?.image ?? "";
  const imageRepository = image.replace(/[:@][^:@/]*$/, "");
  return {
    cpu: td.cpu,
    memory: td.memory,
    architecture: (td.runtimePlatform?.cpuArchitecture ?? "X86_64") as Want["architecture"],
    executionRoleArn: td.executionRoleArn,
    containerPort: c?.portMappings?.[0]?.containerPort,
    logGroup: c?.logConfiguration?.options?.["awslogs-group"],
    repositoryUri: awaitingFirstDeploy(image) ? imageRepository : ourRepository ?? imageRepository,
    environment: Object.fromEntries((c?.environment ?? []).map((v) => [v.name!, v.value!])) as Want["environment"],
    secrets: Object.fromEntries((c?.secrets ?? []).map((v) => [v.name, v.valueFrom])),
    containerHealthCheck: c?.healthCheck !== undefined,
    tags,
  };
}

const outputsOf = (td: TaskDefinition): Out => ({ taskDefinitionArn: td.taskDefinitionArn!, family: td.family!, image: td.containerDefinitions?.[0]?.image ?? "" });

/**
 * The family's newest ACTIVE revision. A revision is immutable: any change registers a new one (a replacement
 * in the plan, which the service's update then points to) carrying the image the last revision had, since the
 * image is `deploy`'s to change, never `up`'s. Old revisions are deregistered once nothing runs them.
 */
export const taskDefinition = tagged<Want, Attrs, Out>({
  key: KEY,
  kind: "ecs:task-definition",
  client: "ecs",
  tagging: "ecs",
  actions: { observe: ["ecs:DescribeServices", "ecs:DescribeTaskDefinition"], create: ["ecs:RegisterTaskDefinition", "iam:PassRole"], update: [], delete: ["ecs:DescribeServices", "ecs:ListTaskDefinitions", "ecs:DeregisterTaskDefinition"] },
  ignored: {
    "the image": "`deploy`'s to change, never `up`'s: a new revision keeps it",
    "older revisions": "deregistered by `up` once nothing runs them",
  },
  createBeforeDelete: true,
  // Every field but the tags is part of the immutable revision; tags are kept on it (ECS TagResource takes a
  // task definition ARN), so a new user tag does not start a deployment.
  replaceOn: ["cpu", "memory", "architecture", "executionRoleArn", "containerPort", "logGroup", "repositoryUri", "environment", "secrets", "containerHealthCheck"],
  title: (spec) => `task definition ${spec.appName} (Fargate ${spec.app.cpu} CPU / ${spec.app.memory} MiB)`,
  desired,
  async observe(ctx) {
    const found = await activeTaskDefinition(ctx, ctx.names.taskFamily);
    if (!found) return undefined;
    const td = found.taskDefinition;
    assertOurs("task definition", td.taskDefinitionArn!, found.tags, ctx.spec.appName);
    return { id: td.taskDefinitionArn!, state: "ready", attrs: attrsOf(td, found.tags, ctx.records.get(ecrRepository.key)?.outputs.repositoryUri), outputs: outputsOf(td) };
  },
  async create(ctx, want) {
    const image = ctx.records.get(KEY)?.outputs.image ?? `${want.repositoryUri}:${FIRST_DEPLOY_TAG}`;
    const td = await register(ctx, want, image);
    return { id: td.taskDefinitionArn!, outputs: outputsOf(td) };
  },
  async delete(ctx) {
    const send = ctx.aws.ecs.send;
    const running = (await findService(ctx))?.taskDefinition;
    // Every page first, then the deregistrations: a revision deregistered between two pages would shift the
    // next page past one (AWS does not say what its token points at).
    const active: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await send(new ListTaskDefinitionsCommand({ familyPrefix: ctx.names.taskFamily, status: "ACTIVE", nextToken }));
      active.push(...(page.taskDefinitionArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    for (const arn of active) if (arn !== running) await send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
  },
});
