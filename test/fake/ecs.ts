/**
 * ECS API: clusters (with their capacity providers), task definitions (Fargate cpu/memory pairs, awsvpc),
 * services (awsvpc needs target type `ip`, a service's target group must be behind a listener, idempotent by
 * clientToken, a launch type or a capacity provider strategy), tasks. How tasks and
 * deployments then behave on the clock is in tasks.ts.
 */
import * as ECS from "@aws-sdk/client-ecs";
import type { FakeAws } from "./aws.js";
import { awsError, checkTags, fromLower, page, TAG_RULES, LATENCY, toLower, type Service, type Tags } from "./common.js";
import { ec2Get } from "./ec2.js";
import { launchTask, startDeployment, stopTask, tickService, type Deployment, type Task } from "./tasks.js";

export interface Cluster {
  arn: string; name: string; status: "ACTIVE" | "INACTIVE"; tags: Tags;
  capacityProviders: string[]; defaultCapacityProviderStrategy: ECS.CapacityProviderStrategyItem[];
}
/** `def`: the RegisterTaskDefinition request as sent, without its tags. */
export interface TaskDef { arn: string; revision: number; status: "ACTIVE" | "INACTIVE"; def: Omit<ECS.RegisterTaskDefinitionCommandInput, "tags">; tags: Tags }
export interface EcsService {
  arn: string; name: string; clusterArn: string; status: "ACTIVE" | "DRAINING" | "INACTIVE"; inactiveAt: number; taskDefinition: string; desiredCount: number;
  /** One or the other: what the service was created with, until UpdateService gives it a strategy. */
  launchType?: string; capacityProviderStrategy?: ECS.CapacityProviderStrategyItem[];
  networkConfiguration?: ECS.NetworkConfiguration; loadBalancers: ECS.LoadBalancer[]; healthCheckGracePeriodSeconds?: number;
  deploymentConfiguration?: ECS.DeploymentConfiguration; deployments: Deployment[]; events: { createdAt: Date; message: string }[]; tags: Tags;
}
/** `serviceTokens`: CreateService clientToken → service ARN. */
export interface EcsState { clusters: Map<string, Cluster>; taskDefs: Map<string, TaskDef>; services: Map<string, EcsService>; tasks: Map<string, Task>; serviceTokens: Map<string, string> }

export const emptyEcs = (): EcsState => ({ clusters: new Map(), taskDefs: new Map(), services: new Map(), tasks: new Map(), serviceTokens: new Map() });

/**
 * The task cpu units Fargate runs, with the memory (MiB) each allows; any other pair is refused at
 * RegisterTaskDefinition. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html (`memory`).
 */
const FARGATE_MEMORY: Record<number, { from: number; to: number; step: number } | number[]> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: { from: 4096, to: 16384, step: 1024 },
  4096: { from: 8192, to: 30720, step: 1024 },
  8192: { from: 16384, to: 61440, step: 4096 },
  16384: { from: 32768, to: 122880, step: 8192 },
};
export function fargateAccepts(cpu: number, memory: number): boolean {
  const allowed = FARGATE_MEMORY[cpu];
  if (!allowed) return false;
  if (Array.isArray(allowed)) return allowed.includes(memory);
  return memory >= allowed.from && memory <= allowed.to && (memory - allowed.from) % allowed.step === 0;
}

/** The lifecycle timestamps that have happened by now, as Dates (DescribeTasks leaves out the others). */
/**
 * Fargate's capacity providers exist in every account and only need associating with a cluster; a strategy may
 * use only providers associated with the service's cluster.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html (capacityProviderStrategy)
 */
const FARGATE_PROVIDERS = ["FARGATE", "FARGATE_SPOT"];
function checkStrategy(strategy: ECS.CapacityProviderStrategyItem[] | undefined, associated: string[]): void {
  for (const i of strategy ?? []) {
    if (!associated.includes(i.capacityProvider ?? "")) {
      throw awsError("InvalidParameterException", `The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.`);
    }
  }
}
function checkProviders(providers: string[], strategy: ECS.CapacityProviderStrategyItem[] | undefined): void {
  const unknown = providers.find((p) => !FARGATE_PROVIDERS.includes(p));
  if (unknown) throw awsError("InvalidParameterException", `The specified capacity provider '${unknown}' is not in an ACTIVE state. Specify a valid capacity provider and try again.`);
  checkStrategy(strategy, providers);
}
const sameStrategy = (a: ECS.CapacityProviderStrategyItem[] | undefined, b: ECS.CapacityProviderStrategyItem[] | undefined) =>
  JSON.stringify((a ?? []).map((i) => [i.capacityProvider, i.weight ?? 0, i.base ?? 0])) === JSON.stringify((b ?? []).map((i) => [i.capacityProvider, i.weight ?? 0, i.base ?? 0]));

const at = (now: number, times: Record<string, number | undefined>) =>
  Object.fromEntries(Object.entries(times).filter(([, v]) => v !== undefined && v <= now).map(([k, v]) => [k, new Date(v!)]));

export function ecsService(fake: FakeAws): Service<typeof ECS> {
  const st = () => fake.ecs;
  const clusterShape = (c: Cluster) => ({
    clusterArn: c.arn, clusterName: c.name, status: c.status, tags: toLower(c.tags), capacityProviders: c.capacityProviders, defaultCapacityProviderStrategy: c.defaultCapacityProviderStrategy,
  });
  const tdShape = (t: TaskDef) => ({ ...t.def, taskDefinitionArn: t.arn, revision: t.revision, status: t.status });
  const cluster = (ref: string | undefined) => {
    const c = [...st().clusters.values()].find((x) => (x.name === ref || x.arn === ref) && x.status === "ACTIVE");
    if (!c) throw awsError("ClusterNotFoundException", "Cluster not found.");
    return c;
  };
  const taskDef = (ref: string | undefined) => {
    const all = [...st().taskDefs.values()];
    const t = ref?.startsWith("arn:") ? st().taskDefs.get(ref) : ref?.includes(":")
      ? all.find((x) => `${x.def.family}:${x.revision}` === ref)
      : all.filter((x) => x.def.family === ref && x.status === "ACTIVE").sort((a, b) => b.revision - a.revision)[0];
    if (!t) throw awsError("ClientException", "Unable to describe task definition.");
    return t;
  };
  /** `lagMs`: deployments younger than this are not listed yet (FakeAws.deploymentListingLagMs, DescribeServices only). */
  const listed = (s: EcsService, lagMs: number) => {
    const seen = s.deployments.filter((d, i) => i === s.deployments.length - 1 || fake.clock.now() - d.createdAt >= lagMs);
    // The SDK hands timestamps over as Dates.
    return seen.map((d, i) => ({ ...d, createdAt: new Date(d.createdAt), status: i === 0 ? "PRIMARY" : "ACTIVE" }));
  };
  const svcShape = (s: EcsService, lagMs = 0) => ({
    serviceArn: s.arn, serviceName: s.name, clusterArn: s.clusterArn, status: s.status, taskDefinition: s.taskDefinition, desiredCount: s.desiredCount,
    runningCount: s.deployments.reduce((n, d) => n + d.runningCount, 0), pendingCount: s.deployments.reduce((n, d) => n + d.pendingCount, 0),
    // DescribeServices shows the launch type or the strategy, whichever the service has
    // (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html, launchType, capacityProviderStrategy).
    ...(s.capacityProviderStrategy?.length ? { capacityProviderStrategy: s.capacityProviderStrategy } : { launchType: s.launchType }),
    networkConfiguration: s.networkConfiguration, loadBalancers: s.loadBalancers, healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds,
    deploymentConfiguration: s.deploymentConfiguration, deployments: listed(s, lagMs), events: s.events.slice(-10).reverse(), tags: toLower(s.tags),
  });
  const service = (clusterArn: string, ref: string | undefined, accept: (s: EcsService) => boolean) =>
    [...st().services.values()].find((x) => (x.name === ref || x.arn === ref) && x.clusterArn === clusterArn && accept(x));

  const taggable = (arn: string | undefined) => {
    const x = st().clusters.get(arn ?? "") ?? [...st().services.values()].find((v) => v.arn === arn) ?? [...st().taskDefs.values()].find((v) => v.arn === arn);
    if (!x) throw awsError("InvalidParameterException", `The specified resource ${arn} was not found.`);
    return x;
  };
  return {
    client: ECS.ECSClient,
    sdk: ECS,
    reads: {
      DescribeClusters: (i) => ({ clusters: (i.clusters ?? []).flatMap((n) => [...st().clusters.values()].filter((c) => c.name === n || c.arn === n).map(clusterShape)) }),
      DescribeTaskDefinition: (i) => { const t = taskDef(i.taskDefinition); return { taskDefinition: tdShape(t), tags: i.include?.includes("TAGS") ? toLower(t.tags) : undefined }; },
      // Up to 100 a page unless maxResults says fewer (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTaskDefinitions.html).
      ListTaskDefinitions: (i) => {
        const { items, next } = page([...st().taskDefs.values()].filter((t) => t.def.family === i.familyPrefix && (!i.status || t.status === i.status)).map((t) => t.arn), i.nextToken, i.maxResults ?? fake.pageSize ?? 100);
        return { taskDefinitionArns: items, ...(next ? { nextToken: next } : {}) };
      },
      DescribeServices: (i) => {
        const c = cluster(i.cluster);
        const found = (i.services ?? []).map((n) => [...st().services.values()].filter((s) => (s.name === n || s.arn === n) && s.clusterArn === c.arn).sort((a, b) => (a.status === "INACTIVE" ? 1 : 0) - (b.status === "INACTIVE" ? 1 : 0))[0]);
        return { services: found.filter((s) => s !== undefined).map((s) => svcShape(s, fake.deploymentListingLagMs)), failures: found.filter((s) => !s).map(() => ({ reason: "MISSING" })) };
      },
      ListTasks: (i) => ({
        taskArns: [...st().tasks.values()].filter((t) => (!i.serviceName || t.group === `service:${i.serviceName}`) && (!i.desiredStatus || t.desiredStatus === i.desiredStatus) && (!i.startedBy || t.startedBy === i.startedBy)).map((t) => t.arn),
      }),
      DescribeTasks: (i) => ({
        tasks: (i.tasks ?? []).map((a) => st().tasks.get(a)).filter((t) => t !== undefined).map((t) => ({
          taskArn: t.arn, taskDefinitionArn: t.taskDefinitionArn, lastStatus: t.lastStatus, desiredStatus: t.desiredStatus, startedBy: t.startedBy, group: t.group, capacityProviderName: t.capacityProviderName,
          ...at(fake.clock.now(), { createdAt: t.createdAt, pullStartedAt: t.pullStartedAt, pullStoppedAt: t.pullStoppedAt, startedAt: t.startedAt, stoppedAt: t.stoppedAt }),
          // A stop reason and exit code exist once the task has stopped; a task whose pull failed has no exit code.
          ...(t.lastStatus === "STOPPED" ? { stoppedReason: t.stoppedReason } : {}),
          containers: [{ name: t.container, lastStatus: t.lastStatus, ...(t.lastStatus === "STOPPED" && t.behavior !== "missing" ? { exitCode: t.exitCode } : {}), reason: t.behavior === "missing" ? "CannotPullContainerError: image not found" : undefined }],
          attachments: [{ type: "ElasticNetworkInterface", details: [{ name: "privateIPv4Address", value: t.ip }] }],
        })),
        failures: [],
      }),
    },
    writes: {
      CreateCluster: (i) => {
        // A brand-new account: ECS creates its service-linked role on first use, and the first CreateCluster can
        // fail meanwhile (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html;
        // terraform-provider-aws#11417). With the role already there, it works.
        if (fake.newAccount && !fake.iam.serviceLinkedRoles.has("ecs.amazonaws.com")) {
          fake.iam.serviceLinkedRoles.add("ecs.amazonaws.com");
          throw awsError("InvalidParameterException", "Unable to assume the service linked role. Please verify that the ECS service linked role exists.");
        }
        let c = [...st().clusters.values()].find((x) => x.name === i.clusterName && x.status === "ACTIVE");
        if (!c) {
          checkProviders(i.capacityProviders ?? [], i.defaultCapacityProviderStrategy);
          c = {
            arn: fake.arn("ecs", `cluster/${i.clusterName}`), name: i.clusterName!, status: "ACTIVE", tags: checkTags(TAG_RULES.ecs, {}, fromLower(i.tags)),
            capacityProviders: i.capacityProviders ?? [], defaultCapacityProviderStrategy: i.defaultCapacityProviderStrategy ?? [],
          };
          st().clusters.set(c.arn, c);
        }
        return { cluster: clusterShape(c) };
      },
      /**
       * The whole list each time: providers left out are removed, which a provider still used by a service
       * refuses (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PutClusterCapacityProviders.html;
       * the message as in aws-cdk#19275).
       */
      PutClusterCapacityProviders: (i) => {
        const c = cluster(i.cluster);
        const providers = i.capacityProviders ?? [];
        checkProviders(providers, i.defaultCapacityProviderStrategy);
        const inUse = [...st().services.values()].filter((s) => s.clusterArn === c.arn && s.status !== "INACTIVE").flatMap((s) => (s.capacityProviderStrategy ?? []).map((x) => x.capacityProvider!));
        if (inUse.some((p) => !providers.includes(p))) throw awsError("ResourceInUseException", "The specified capacity provider is in use and cannot be removed.");
        c.capacityProviders = providers;
        c.defaultCapacityProviderStrategy = i.defaultCapacityProviderStrategy ?? [];
        return { cluster: clusterShape(c) };
      },
      TagResource: (i) => { const x = taggable(i.resourceArn); Object.assign(x.tags, checkTags(TAG_RULES.ecs, x.tags, fromLower(i.tags))); },
      UntagResource: (i) => { const x = taggable(i.resourceArn); for (const k of i.tagKeys ?? []) delete x.tags[k]; },
      DeleteCluster: (i) => {
        const c = cluster(i.cluster);
        if ([...st().services.values()].some((s) => s.clusterArn === c.arn && s.status !== "INACTIVE")) throw awsError("ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active.");
        c.status = "INACTIVE";
        return { cluster: clusterShape(c) };
      },
      RegisterTaskDefinition: (i) => {
        if (i.requiresCompatibilities?.includes("FARGATE")) {
          if (i.networkMode !== "awsvpc") throw awsError("ClientException", "Fargate requires task definition to have networkMode awsvpc.");
          if (!fargateAccepts(Number(i.cpu), Number(i.memory))) throw awsError("ClientException", "No Fargate configuration exists for given values.");
        }
        const revision = [...st().taskDefs.values()].filter((t) => t.def.family === i.family).length + 1;
        const { tags, ...def } = i;
        const t: TaskDef = { arn: fake.arn("ecs", `task-definition/${i.family}:${revision}`), revision, status: "ACTIVE", def, tags: checkTags(TAG_RULES.ecs, {}, fromLower(tags)) };
        st().taskDefs.set(t.arn, t);
        return { taskDefinition: tdShape(t), tags };
      },
      DeregisterTaskDefinition: (i) => { const t = taskDef(i.taskDefinition); t.status = "INACTIVE"; return { taskDefinition: tdShape(t) }; },
      CreateService: (i) => {
        const c = cluster(i.cluster);
        const td = taskDef(i.taskDefinition);
        const earlier = i.clientToken && st().serviceTokens.get(i.clientToken);
        if (earlier) return { service: svcShape(st().services.get(earlier)!) };
        if (service(c.arn, i.serviceName, (s) => s.status !== "INACTIVE")) throw awsError("InvalidParameterException", "Creation of service was not idempotent.");
        const lb = i.loadBalancers?.[0];
        if (lb) {
          const tg = fake.elb.tgs.get(lb.targetGroupArn ?? "");
          if (!tg) throw awsError("InvalidParameterException", "Unable to find target group.");
          if (td.def.networkMode === "awsvpc" && tg.targetType !== "ip") throw awsError("InvalidParameterException", `The provided target group ${tg.arn} has target type instance, which is incompatible with the awsvpc network mode specified in the task definition.`);
          if (![...fake.elb.listeners.values()].some((l) => l.targetGroupArn === tg.arn)) throw awsError("InvalidParameterException", `The target group with targetGroupArn ${tg.arn} does not have an associated load balancer.`);
        }
        for (const s of i.networkConfiguration?.awsvpcConfiguration?.subnets ?? []) ec2Get(fake, fake.ec2.subnets, s, "InvalidParameterException");
        // A launch type or a strategy, never both; with neither, the cluster's default strategy
        // (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html, capacityProviderStrategy;
        // the message as terraform-aws-modules/terraform-aws-ecs#80 reports it).
        if (i.launchType && i.capacityProviderStrategy?.length) throw awsError("InvalidParameterException", "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.");
        const strategy = i.launchType ? undefined : i.capacityProviderStrategy?.length ? i.capacityProviderStrategy : c.defaultCapacityProviderStrategy;
        checkStrategy(strategy, c.capacityProviders);
        const s: EcsService = {
          arn: fake.arn("ecs", `service/${c.name}/${i.serviceName}`), name: i.serviceName!, clusterArn: c.arn, status: "ACTIVE", inactiveAt: 0, taskDefinition: td.arn,
          desiredCount: i.desiredCount ?? 0, ...(strategy?.length ? { capacityProviderStrategy: strategy } : { launchType: i.launchType ?? "EC2" }), networkConfiguration: i.networkConfiguration, loadBalancers: i.loadBalancers ?? [], healthCheckGracePeriodSeconds: i.healthCheckGracePeriodSeconds,
          deploymentConfiguration: i.deploymentConfiguration, deployments: [], events: [], tags: checkTags(TAG_RULES.ecs, {}, fromLower(i.tags)),
        };
        st().services.set(s.arn, s);
        if (i.clientToken) st().serviceTokens.set(i.clientToken, s.arn);
        startDeployment(fake, s);
        return { service: svcShape(s) };
      },
      UpdateService: (i) => {
        const s = service(cluster(i.cluster).arn, i.service, (x) => x.status === "ACTIVE");
        if (!s) throw awsError("ServiceNotActiveException", "Service was not ACTIVE.");
        if (i.capacityProviderStrategy !== undefined) {
          // A launch type becomes a strategy, or a strategy another, only with a new deployment
          // (https://docs.aws.amazon.com/AmazonECS/latest/bestpracticesguide/ec2-and-fargate-spot.html; the message as in pipe-cd/pipecd#6385).
          const changes = s.launchType !== undefined || !sameStrategy(s.capacityProviderStrategy, i.capacityProviderStrategy);
          if (changes && !i.forceNewDeployment) throw awsError("InvalidParameterException", "When switching from launch type to capacity provider strategy on an existing service, or making a change to a capacity provider strategy on a service that is already using one, you must force a new deployment.");
          if (!i.capacityProviderStrategy.length) throw new Error("fake: an empty strategy (back to the launch type) is not modelled");
          checkStrategy(i.capacityProviderStrategy, [...st().clusters.values()].find((c) => c.arn === s.clusterArn)!.capacityProviders);
          s.capacityProviderStrategy = i.capacityProviderStrategy;
          s.launchType = undefined;
        }
        const before = JSON.stringify([s.taskDefinition, s.networkConfiguration, s.loadBalancers]);
        if (i.taskDefinition) {
          // "You can't update an existing service to reference an INACTIVE task definition revision"
          // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deregister-task-definition-v2.html).
          const t = taskDef(i.taskDefinition);
          if (t.status === "INACTIVE" && t.arn !== s.taskDefinition) throw awsError("ClientException", "TaskDefinition is inactive");
          s.taskDefinition = t.arn;
        }
        if (i.networkConfiguration !== undefined) s.networkConfiguration = i.networkConfiguration;
        // A rolling-update service takes a new load balancer block and starts a deployment with it
        // (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html, loadBalancers).
        if (i.loadBalancers !== undefined) s.loadBalancers = i.loadBalancers;
        if (i.healthCheckGracePeriodSeconds !== undefined) s.healthCheckGracePeriodSeconds = i.healthCheckGracePeriodSeconds;
        if (i.deploymentConfiguration !== undefined) s.deploymentConfiguration = i.deploymentConfiguration;
        const countChanged = i.desiredCount !== undefined && i.desiredCount !== s.desiredCount;
        if (i.desiredCount !== undefined) s.desiredCount = i.desiredCount;
        if (before !== JSON.stringify([s.taskDefinition, s.networkConfiguration, s.loadBalancers]) || i.forceNewDeployment) startDeployment(fake, s);
        else if (countChanged) {
          s.deployments[0]!.desiredCount = s.desiredCount;
          s.deployments[0]!.rolloutState = "IN_PROGRESS";
          s.deployments[0]!.scaledAt = fake.clock.now();
          tickService(fake, s, fake.clock.now());
        }
        return { service: svcShape(s) };
      },
      DeleteService: (i) => {
        const s = service(cluster(i.cluster).arn, i.service, (x) => x.status !== "INACTIVE");
        if (!s) throw awsError("ServiceNotFoundException", "Service not found.");
        if (s.status === "DRAINING") throw awsError("ServiceNotActiveException", "Service was not ACTIVE.");
        if (s.desiredCount > 0 && !i.force) throw awsError("InvalidParameterException", "The service cannot be stopped while it is scaled above 0.");
        s.status = "DRAINING";
        s.desiredCount = 0;
        s.inactiveAt = fake.clock.now() + LATENCY.serviceDrain;
        for (const t of st().tasks.values()) if (t.group === `service:${s.name}` && t.lastStatus !== "STOPPED") stopTask(t, "Service deleted", 0, fake.clock.now());
        return { service: svcShape(s) };
      },
      RunTask: (i) => {
        const c = cluster(i.cluster);
        const td = taskDef(i.taskDefinition);
        const command = i.overrides?.containerOverrides?.[0]?.command;
        const subnetId = i.networkConfiguration?.awsvpcConfiguration?.subnets?.[0];
        // awsvpc tasks need their subnets: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html (networkConfiguration)
        if (td.def.networkMode === "awsvpc" && !subnetId) throw awsError("InvalidParameterException", "Network Configuration must be provided when networkMode 'awsvpc' is specified.");
        const t = launchTask(fake, td, c.name, { startedBy: i.startedBy, command, subnetId });
        return { tasks: [{ taskArn: t.arn, lastStatus: t.lastStatus }], failures: [] };
      },
      StopTask: (i) => {
        const t = st().tasks.get(i.task ?? "");
        if (t && t.lastStatus !== "STOPPED") stopTask(t, i.reason ?? "Task stopped by user", 137, fake.clock.now());
        return { task: { taskArn: i.task } };
      },
    },
  };
}
