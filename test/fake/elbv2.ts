/**
 * ELBv2: an ALB needs subnets in two AZs and an attached internet gateway; provisioning -> active in 2 min;
 * its ENIs linger 90 s after deletion; create is idempotent by name with the same settings; a target group
 * in use by a listener cannot be deleted. Target health comes from the ECS tasks registered (tasks.ts).
 */
import * as ELB from "@aws-sdk/client-elastic-load-balancing-v2";
import type { FakeAws } from "./aws.js";
import { awsError, checkTags, fromUpper, TAG_RULES, LATENCY, toUpper, type Service, type Tags } from "./common.js";
import { addEni, ec2Get, releaseEnis } from "./ec2.js";
import { targetsOf } from "./tasks.js";

export interface LoadBalancer {
  arn: string; name: string; dns: string; scheme: string; vpcId: string; subnets: string[]; securityGroups: string[]; state: "provisioning" | "active"; activeAt: number; tags: Tags;
  /** Its attributes by key, as DescribeLoadBalancerAttributes lists them. */
  attributes: Record<string, string>;
}

/**
 * An ALB's attributes as CreateLoadBalancer leaves them (it takes none): AWS's defaults, from
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_LoadBalancerAttribute.html.
 */
export const ALB_DEFAULT_ATTRIBUTES: Readonly<Record<string, string>> = {
  "deletion_protection.enabled": "false",
  "idle_timeout.timeout_seconds": "60",
  "routing.http.drop_invalid_header_fields.enabled": "false",
  "access_logs.s3.enabled": "false", "access_logs.s3.bucket": "", "access_logs.s3.prefix": "",
  "routing.http2.enabled": "true",
  "routing.http.desync_mitigation_mode": "defensive",
  "client_keep_alive.seconds": "3600",
};
export interface TargetGroup {
  arn: string; name: string; protocol: string; port: number; vpcId: string; targetType: string; healthCheckPath: string; interval: number; timeout: number; healthyThreshold: number; unhealthyThreshold: number; matcher: string;
  healthCheckEnabled: boolean; healthCheckProtocol: string; healthCheckPort: string;
  deregistrationDelay: string;
  /** Its other attributes by key (`deregistrationDelay` is `deregistration_delay.timeout_seconds`). */
  attributes: Record<string, string>;
  tags: Tags;
}

/** A new target group's other attributes: AWS's defaults (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupAttribute.html). */
export const TG_DEFAULT_ATTRIBUTES: Readonly<Record<string, string>> = {
  "stickiness.enabled": "false", "stickiness.type": "lb_cookie", "slow_start.duration_seconds": "0", "load_balancing.algorithm.type": "round_robin",
};
/** A listener forwards to a target group, or (`redirect`) answers a redirect; HTTPS ones carry a certificate and a TLS policy. */
export interface Listener {
  arn: string; lbArn: string; port: number; protocol: string; targetGroupArn?: string; redirect?: ELB.RedirectActionConfig;
  certificates: string[]; sslPolicy?: string; tags: Tags;
  /** Its rules beyond the default action (DescribeRules lists those, then the default rule). */
  rules: ListenerRule[];
}
export interface ListenerRule { arn: string; priority: string; conditions: ELB.RuleCondition[]; actions: ELB.Action[] }
export interface ElbState { lbs: Map<string, LoadBalancer>; tgs: Map<string, TargetGroup>; listeners: Map<string, Listener> }

export const emptyElb = (): ElbState => ({ lbs: new Map(), tgs: new Map(), listeners: new Map() });

export function elbService(fake: FakeAws): Service<typeof ELB> {
  const st = () => fake.elb;
  const lbShape = (lb: LoadBalancer) => ({
    // Every ALB of a region shares one canonical zone (Z35SXDOTRQ7X7K in us-east-1: https://docs.aws.amazon.com/general/latest/gr/elb.html).
    LoadBalancerArn: lb.arn, LoadBalancerName: lb.name, DNSName: lb.dns, CanonicalHostedZoneId: "Z35SXDOTRQ7X7K", Scheme: lb.scheme, Type: "application", VpcId: lb.vpcId, State: { Code: lb.state },
    SecurityGroups: lb.securityGroups, AvailabilityZones: lb.subnets.map((s) => ({ SubnetId: s, ZoneName: fake.ec2.subnets.get(s)?.az })),
  });
  const tgShape = (tg: TargetGroup) => ({
    TargetGroupArn: tg.arn, TargetGroupName: tg.name, Protocol: tg.protocol, Port: tg.port, VpcId: tg.vpcId, TargetType: tg.targetType,
    HealthCheckPath: tg.healthCheckPath, HealthCheckIntervalSeconds: tg.interval, HealthCheckTimeoutSeconds: tg.timeout, HealthyThresholdCount: tg.healthyThreshold,
    UnhealthyThresholdCount: tg.unhealthyThreshold, Matcher: { HttpCode: tg.matcher },
    HealthCheckEnabled: tg.healthCheckEnabled, HealthCheckProtocol: tg.healthCheckProtocol, HealthCheckPort: tg.healthCheckPort,
    LoadBalancerArns: [...st().listeners.values()].filter((l) => l.targetGroupArn === tg.arn).map((l) => l.lbArn),
  });
  const listenerShape = (l: Listener) => ({
    ListenerArn: l.arn, LoadBalancerArn: l.lbArn, Port: l.port, Protocol: l.protocol,
    DefaultActions: [l.redirect ? { Type: "redirect" as const, RedirectConfig: l.redirect } : { Type: "forward" as const, TargetGroupArn: l.targetGroupArn }],
    ...(l.protocol === "HTTPS" ? { Certificates: l.certificates.map((CertificateArn) => ({ CertificateArn })), SslPolicy: l.sslPolicy } : {}),
  });
  /**
   * A listener's default action and certificate as CreateListener/ModifyListener take them: a forward needs an
   * existing target group, a redirect its config; HTTPS needs a certificate ACM has issued (a pending one is
   * refused: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/create-https-listener.html) and
   * gets ELB's default policy when none is named (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateListener.html).
   */
  const settings = (i: { Protocol?: string; DefaultActions?: ELB.Action[]; Certificates?: ELB.Certificate[]; SslPolicy?: string }) => {
    const action = i.DefaultActions?.[0];
    const routing = action?.Type === "redirect" ? { redirect: action.RedirectConfig!, targetGroupArn: undefined } : { targetGroupArn: tg(action?.TargetGroupArn).arn, redirect: undefined };
    if (i.Protocol !== "HTTPS") return { ...routing, certificates: [], sslPolicy: undefined };
    const cert = i.Certificates?.[0]?.CertificateArn;
    if (!cert) throw awsError("ValidationError", "A certificate must be specified for HTTPS listeners");
    if (fake.acm.certs.get(cert)?.status !== "ISSUED") throw awsError("CertificateNotFound", `Certificate '${cert}' not found`);
    return { ...routing, certificates: [cert], sslPolicy: i.SslPolicy ?? "ELBSecurityPolicy-2016-08" };
  };
  const tagged = (arn: string) => st().lbs.get(arn) ?? st().tgs.get(arn) ?? st().listeners.get(arn);
  const lb = (arn: string | undefined) => {
    const found = st().lbs.get(arn ?? "");
    if (!found) throw awsError("LoadBalancerNotFoundException", "load balancer not found");
    return found;
  };
  const tg = (arn: string | undefined) => {
    const found = st().tgs.get(arn ?? "");
    if (!found) throw awsError("TargetGroupNotFoundException", "target group not found");
    return found;
  };
  const checkSubnets = (subnets: string[]) => {
    const zones = new Set(subnets.map((s) => { const sub = fake.ec2.subnets.get(s); if (!sub) throw awsError("SubnetNotFoundException", `subnet ${s} not found`); return sub.az; }));
    if (zones.size < 2) throw awsError("ValidationError", "At least two subnets in two different Availability Zones must be specified");
  };
  const byNameOrArn = <T extends { name: string }>(map: Map<string, T>, names: string[] | undefined, arns: string[] | undefined, code: string, what: string): T[] => {
    const found = names ? names.map((n) => [...map.values()].find((x) => x.name === n)) : arns ? arns.map((a) => map.get(a)) : [...map.values()];
    if (found.some((x) => !x)) throw awsError(code, `One or more ${what} not found`);
    return found as T[];
  };

  return {
    client: ELB.ElasticLoadBalancingV2Client,
    sdk: ELB,
    reads: {
      DescribeLoadBalancers: (i) => ({ LoadBalancers: byNameOrArn(st().lbs, i.Names, i.LoadBalancerArns, "LoadBalancerNotFoundException", "load balancers").map(lbShape) }),
      /**
       * Up to 20 ARNs of any ELB kind in one call; one that does not exist fails the whole call with that kind's
       * NotFound (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTags.html).
       */
      DescribeTags: (i) => {
        const arns = i.ResourceArns ?? [];
        if (arns.length > 20) throw awsError("ValidationError", "1 validation error detected: Value at 'resourceArns' failed to satisfy constraint: Member must have length less than or equal to 20");
        return {
          TagDescriptions: arns.map((arn) => {
            const found = tagged(arn);
            if (!found) throw awsError(`${arn.includes(":listener/") ? "Listener" : arn.includes(":targetgroup/") ? "TargetGroup" : "LoadBalancer"}NotFoundException`, `${arn} not found`);
            return { ResourceArn: arn, Tags: toUpper(found.tags) };
          }),
        };
      },
      DescribeLoadBalancerAttributes: (i) => ({ Attributes: Object.entries(lb(i.LoadBalancerArn).attributes).map(([Key, Value]) => ({ Key, Value })) }),
      DescribeTargetGroups: (i) => ({ TargetGroups: byNameOrArn(st().tgs, i.Names, i.TargetGroupArns, "TargetGroupNotFoundException", "target groups").map(tgShape) }),
      DescribeTargetGroupAttributes: (i) => {
        const t = tg(i.TargetGroupArn);
        return { Attributes: Object.entries({ "deregistration_delay.timeout_seconds": t.deregistrationDelay, ...t.attributes }).map(([Key, Value]) => ({ Key, Value })) };
      },
      DescribeListeners: (i) => {
        if (i.ListenerArns) {
          const found = i.ListenerArns.map((a) => st().listeners.get(a));
          if (found.some((x) => !x)) throw awsError("ListenerNotFoundException", "One or more listeners not found");
          return { Listeners: (found as Listener[]).map(listenerShape) };
        }
        const owner = lb(i.LoadBalancerArn);
        return { Listeners: [...st().listeners.values()].filter((l) => l.lbArn === owner.arn).map(listenerShape) };
      },
      /**
       * A listener's rules, its default rule last (IsDefault, priority "default", the listener's default actions):
       * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeRules.html.
       */
      DescribeRules: (i) => {
        const l = st().listeners.get(i.ListenerArn ?? "");
        if (!l) throw awsError("ListenerNotFoundException", "listener not found");
        return {
          Rules: [
            ...l.rules.map((r) => ({ RuleArn: r.arn, Priority: r.priority, Conditions: r.conditions, Actions: r.actions, IsDefault: false })),
            { RuleArn: `${l.arn.replace(":listener/", ":listener-rule/")}/default`, Priority: "default", Conditions: [], Actions: listenerShape(l).DefaultActions, IsDefault: true },
          ],
        };
      },
      DescribeTargetHealth: (i) => ({
        TargetHealthDescriptions: targetsOf(fake, i.TargetGroupArn!).map(({ id, port, health }) => ({ Target: { Id: id, Port: port }, TargetHealth: health })),
      }),
    },
    writes: {
      CreateLoadBalancer: (i) => {
        const subnets = i.Subnets ?? [];
        const existing = [...st().lbs.values()].find((l) => l.name === i.Name);
        if (existing) {
          if (JSON.stringify([...subnets].sort()) === JSON.stringify([...existing.subnets].sort())) return { LoadBalancers: [lbShape(existing)] };
          throw awsError("DuplicateLoadBalancerName", `A load balancer with the same name '${i.Name}' exists, but with different settings`);
        }
        checkSubnets(subnets);
        for (const sg of i.SecurityGroups ?? []) if (!fake.ec2.sgs.has(sg)) throw awsError("InvalidSecurityGroup", `security group ${sg} does not exist`);
        const vpcId = fake.ec2.subnets.get(subnets[0]!)!.vpcId;
        if (i.Scheme !== "internal" && ![...fake.ec2.igws.values()].some((g) => g.vpcId === vpcId)) throw awsError("InvalidSubnet", `VPC ${vpcId} has no internet gateway`);
        const arn = fake.arn("elasticloadbalancing", `loadbalancer/app/${i.Name}/${fake.id("lb")}`);
        const created: LoadBalancer = {
          arn, name: i.Name!, dns: `${i.Name}-123456.${fake.region}.elb.amazonaws.com`, scheme: i.Scheme ?? "internet-facing", vpcId, subnets, securityGroups: i.SecurityGroups ?? [],
          state: "provisioning", activeAt: fake.clock.now() + LATENCY.albActive, tags: checkTags(TAG_RULES.elbv2, {}, fromUpper(i.Tags)), attributes: { ...ALB_DEFAULT_ATTRIBUTES },
        };
        st().lbs.set(arn, created);
        for (const s of subnets) addEni(fake, arn, s, created.securityGroups, true);
        return { LoadBalancers: [lbShape(created)] };
      },
      DeleteLoadBalancer: (i) => {
        // "You can't delete a load balancer if deletion protection is enabled" (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DeleteLoadBalancer.html).
        if (st().lbs.get(i.LoadBalancerArn!)?.attributes["deletion_protection.enabled"] === "true") {
          throw awsError("OperationNotPermitted", `Load balancer '${i.LoadBalancerArn}' cannot be deleted because deletion protection is enabled`);
        }
        if (!st().lbs.delete(i.LoadBalancerArn!)) return;
        for (const [arn, l] of st().listeners) if (l.lbArn === i.LoadBalancerArn) st().listeners.delete(arn);
        releaseEnis(fake, i.LoadBalancerArn!, LATENCY.albEniLinger);
      },
      // The load balancer's node (and its network interface) leaves a removed subnet and comes up in an added one
      // (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_SetSubnets.html): the old
      // subnet can be deleted once that interface is gone.
      SetSubnets: (i) => {
        checkSubnets(i.Subnets ?? []);
        const l = lb(i.LoadBalancerArn);
        const next = i.Subnets ?? [];
        for (const s of l.subnets.filter((x) => !next.includes(x))) releaseEnis(fake, l.arn, LATENCY.albEniLinger, s);
        for (const s of next.filter((x) => !l.subnets.includes(x))) addEni(fake, l.arn, s, l.securityGroups, true);
        l.subnets = next;
      },
      /**
       * Only the keys an ALB has; access logs need a bucket (ELB then checks its policy, which the fake does not):
       * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyLoadBalancerAttributes.html.
       */
      ModifyLoadBalancerAttributes: (i) => {
        const l = lb(i.LoadBalancerArn);
        const next = { ...l.attributes };
        for (const a of i.Attributes ?? []) {
          if (!(a.Key! in ALB_DEFAULT_ATTRIBUTES)) throw awsError("ValidationError", `Load balancer attribute key '${a.Key}' is not recognized`);
          next[a.Key!] = a.Value!;
        }
        if (next["access_logs.s3.enabled"] === "true" && !next["access_logs.s3.bucket"]) throw awsError("ValidationError", "The value of 'access_logs.s3.bucket' cannot be empty");
        l.attributes = next;
        return { Attributes: Object.entries(next).map(([Key, Value]) => ({ Key, Value })) };
      },
      SetSecurityGroups: (i) => { lb(i.LoadBalancerArn).securityGroups = i.SecurityGroups ?? []; },
      AddTags: (i) => {
        for (const arn of i.ResourceArns ?? []) {
          const item = tagged(arn);
          if (!item) throw awsError("LoadBalancerNotFoundException", `resource ${arn} not found`);
          Object.assign(item.tags, checkTags(TAG_RULES.elbv2, item.tags, fromUpper(i.Tags)));
        }
      },
      RemoveTags: (i) => {
        for (const arn of i.ResourceArns ?? []) {
          const item = tagged(arn);
          if (!item) throw awsError("LoadBalancerNotFoundException", `resource ${arn} not found`);
          for (const k of i.TagKeys ?? []) delete item.tags[k];
        }
      },
      CreateTargetGroup: (i) => {
        // "If you attempt to create multiple target groups with the same settings, each call succeeds"
        // (API_CreateTargetGroup): the same name with other settings is DuplicateTargetGroupName.
        const existing = [...st().tgs.values()].find((t) => t.name === i.Name);
        if (existing) {
          const same = existing.port === i.Port && existing.targetType === (i.TargetType ?? "instance") && existing.protocol === i.Protocol && existing.vpcId === i.VpcId &&
            existing.healthCheckPath === (i.HealthCheckPath ?? "/");
          if (same) return { TargetGroups: [tgShape(existing)] };
          throw awsError("DuplicateTargetGroupName", `A target group with the same name '${i.Name}' exists, but with different settings`);
        }
        try {
          ec2Get(fake, fake.ec2.vpcs, i.VpcId, "InvalidVpcID.NotFound");
        } catch {
          throw awsError("ValidationError", `The VPC ID '${i.VpcId}' is not found`); // ELB sees EC2 with the same lag
        }
        const arn = fake.arn("elasticloadbalancing", `targetgroup/${i.Name}/${fake.id("tg")}`);
        const created: TargetGroup = {
          arn, name: i.Name!, protocol: i.Protocol!, port: i.Port!, vpcId: i.VpcId!, targetType: i.TargetType ?? "instance", healthCheckPath: i.HealthCheckPath ?? "/",
          // AWS's defaults for an HTTP target group of an ALB: https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html
          interval: i.HealthCheckIntervalSeconds ?? 30, timeout: i.HealthCheckTimeoutSeconds ?? 5, healthyThreshold: i.HealthyThresholdCount ?? 5, unhealthyThreshold: i.UnhealthyThresholdCount ?? 2,
          matcher: i.Matcher?.HttpCode ?? "200", deregistrationDelay: "300", attributes: { ...TG_DEFAULT_ATTRIBUTES }, tags: checkTags(TAG_RULES.elbv2, {}, fromUpper(i.Tags)),
          // The health check is on, over HTTP, to the port each target registers with ("traffic-port") unless told otherwise.
          healthCheckEnabled: i.HealthCheckEnabled ?? true, healthCheckProtocol: i.HealthCheckProtocol ?? "HTTP", healthCheckPort: i.HealthCheckPort ?? "traffic-port",
        };
        st().tgs.set(arn, created);
        return { TargetGroups: [tgShape(created)] };
      },
      ModifyTargetGroupAttributes: (i) => {
        const t = tg(i.TargetGroupArn);
        for (const a of i.Attributes ?? []) {
          if (a.Key === "deregistration_delay.timeout_seconds") t.deregistrationDelay = a.Value!;
          else if (a.Key! in TG_DEFAULT_ATTRIBUTES) t.attributes[a.Key!] = a.Value!;
          else throw awsError("ValidationError", `Target group attribute key '${a.Key}' is not recognized`);
        }
      },
      ModifyTargetGroup: (i) => {
        const t = tg(i.TargetGroupArn);
        Object.assign(t, {
          healthCheckPath: i.HealthCheckPath ?? t.healthCheckPath, interval: i.HealthCheckIntervalSeconds ?? t.interval, timeout: i.HealthCheckTimeoutSeconds ?? t.timeout,
          healthyThreshold: i.HealthyThresholdCount ?? t.healthyThreshold, unhealthyThreshold: i.UnhealthyThresholdCount ?? t.unhealthyThreshold, matcher: i.Matcher?.HttpCode ?? t.matcher,
          healthCheckEnabled: i.HealthCheckEnabled ?? t.healthCheckEnabled, healthCheckProtocol: i.HealthCheckProtocol ?? t.healthCheckProtocol, healthCheckPort: i.HealthCheckPort ?? t.healthCheckPort,
        });
      },
      DeleteTargetGroup: (i) => {
        if (!st().tgs.has(i.TargetGroupArn!)) return;
        if ([...st().listeners.values()].some((l) => l.targetGroupArn === i.TargetGroupArn)) throw awsError("ResourceInUse", `Target group '${i.TargetGroupArn}' is currently in use by a listener or a rule`);
        st().tgs.delete(i.TargetGroupArn!);
      },
      CreateListener: (i) => {
        const owner = lb(i.LoadBalancerArn);
        const wanted = settings(i);
        const dup = [...st().listeners.values()].find((l) => l.lbArn === owner.arn && l.port === i.Port);
        if (dup) {
          if (JSON.stringify(listenerShape(dup)) === JSON.stringify(listenerShape({ ...dup, protocol: i.Protocol!, ...wanted }))) return { Listeners: [listenerShape(dup)] };
          throw awsError("DuplicateListener", "A listener already exists on this port for this load balancer");
        }
        const arn = owner.arn.replace(":loadbalancer/", ":listener/") + `/${fake.id("l")}`;
        const l: Listener = { arn, lbArn: owner.arn, port: i.Port!, protocol: i.Protocol!, ...wanted, tags: checkTags(TAG_RULES.elbv2, {}, fromUpper(i.Tags)), rules: [] };
        st().listeners.set(arn, l);
        return { Listeners: [listenerShape(l)] };
      },
      ModifyListener: (i) => {
        const l = st().listeners.get(i.ListenerArn!);
        if (!l) throw awsError("ListenerNotFoundException", "listener not found");
        const protocol = i.Protocol ?? l.protocol;
        Object.assign(l, { port: i.Port ?? l.port, protocol, ...(i.DefaultActions || i.Certificates ? settings({
          Protocol: protocol, DefaultActions: i.DefaultActions ?? listenerShape(l).DefaultActions, Certificates: i.Certificates ?? l.certificates.map((CertificateArn) => ({ CertificateArn })), SslPolicy: i.SslPolicy ?? l.sslPolicy,
        }) : {}) });
      },
      // A rule's priority is unique on its listener (API_CreateRule: PriorityInUse).
      CreateRule: (i) => {
        const l = st().listeners.get(i.ListenerArn ?? "");
        if (!l) throw awsError("ListenerNotFoundException", "listener not found");
        if (l.rules.some((r) => r.priority === String(i.Priority))) throw awsError("PriorityInUse", `Priority '${i.Priority}' is currently in use`);
        const rule: ListenerRule = { arn: `${l.arn.replace(":listener/", ":listener-rule/")}/${fake.id("r")}`, priority: String(i.Priority), conditions: i.Conditions ?? [], actions: i.Actions ?? [] };
        l.rules.push(rule);
        return { Rules: [{ RuleArn: rule.arn, Priority: rule.priority, Conditions: rule.conditions, Actions: rule.actions, IsDefault: false }] };
      },
      DeleteRule: (i) => {
        const l = [...st().listeners.values()].find((x) => x.rules.some((r) => r.arn === i.RuleArn));
        if (!l) throw awsError("RuleNotFoundException", "One or more rules not found");
        l.rules = l.rules.filter((r) => r.arn !== i.RuleArn);
      },
      DeleteListener: (i) => {
        if (!st().listeners.delete(i.ListenerArn!)) throw awsError("ListenerNotFoundException", "listener not found");
      },
    },
  };
}
