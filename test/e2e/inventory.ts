/**
 * What an account holds for the stack, read through the public API only (for an emulator, which has no
 * inventory of its own to ask): one entry per live resource tagged `spontime:stack=<app>`, named by its kind
 * as the registry declares it (`ec2:vpc`), which FULL_STACK is derived from.
 */
import * as EC2 from "@aws-sdk/client-ec2";
import * as ELB from "@aws-sdk/client-elastic-load-balancing-v2";
import * as RDS from "@aws-sdk/client-rds";
import * as ECS from "@aws-sdk/client-ecs";
import * as ECR from "@aws-sdk/client-ecr";
import * as LOGS from "@aws-sdk/client-cloudwatch-logs";
import * as IAM from "@aws-sdk/client-iam";
import * as Scheduler from "@aws-sdk/client-scheduler";
import * as ACM from "@aws-sdk/client-acm";

export interface Sdk { region: string; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } }
type Tag = { Key?: string; Value?: string; key?: string; value?: string };
const ours = (app: string, tags: Tag[] | undefined) => (tags ?? []).some((t) => (t.Key ?? t.key) === "spontime:stack" && (t.Value ?? t.value) === app);

export async function inventory(sdk: Sdk, app: string): Promise<string[]> {
  const out: string[] = [];
  const add = (kind: string, n: number) => { for (let i = 0; i < n; i++) out.push(kind); };

  const ec2 = new EC2.EC2Client(sdk);
  const Filters = [{ Name: "tag:spontime:stack", Values: [app] }];
  add("ec2:vpc", (await ec2.send(new EC2.DescribeVpcsCommand({ Filters }))).Vpcs?.length ?? 0);
  add("ec2:subnet", (await ec2.send(new EC2.DescribeSubnetsCommand({ Filters }))).Subnets?.length ?? 0);
  add("ec2:security-group", (await ec2.send(new EC2.DescribeSecurityGroupsCommand({ Filters }))).SecurityGroups?.length ?? 0);
  add("ec2:internet-gateway", (await ec2.send(new EC2.DescribeInternetGatewaysCommand({ Filters }))).InternetGateways?.length ?? 0);
  add("ec2:route-table", (await ec2.send(new EC2.DescribeRouteTablesCommand({ Filters }))).RouteTables?.length ?? 0);

  const elb = new ELB.ElasticLoadBalancingV2Client(sdk);
  const elbTagged = async (kind: string, arns: string[]) => {
    if (!arns.length) return;
    const tags = (await elb.send(new ELB.DescribeTagsCommand({ ResourceArns: arns }))).TagDescriptions ?? [];
    add(kind, tags.filter((d) => ours(app, d.Tags)).length);
  };
  const lbs = (await elb.send(new ELB.DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
  await elbTagged("elbv2:load-balancer", lbs.map((l) => l.LoadBalancerArn!));
  await elbTagged("elbv2:target-group", ((await elb.send(new ELB.DescribeTargetGroupsCommand({}))).TargetGroups ?? []).map((t) => t.TargetGroupArn!));
  for (const lb of lbs) await elbTagged("elbv2:listener", ((await elb.send(new ELB.DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? []).map((l) => l.ListenerArn!));

  const rds = new RDS.RDSClient(sdk);
  add("rds:db-instance", ((await rds.send(new RDS.DescribeDBInstancesCommand({}))).DBInstances ?? []).filter((d) => d.DBInstanceStatus !== "deleted" && ours(app, d.TagList)).length);
  for (const g of (await rds.send(new RDS.DescribeDBSubnetGroupsCommand({}))).DBSubnetGroups ?? []) {
    if (ours(app, (await rds.send(new RDS.ListTagsForResourceCommand({ ResourceName: g.DBSubnetGroupArn }))).TagList)) add("rds:db-subnet-group", 1);
  }

  const ecs = new ECS.ECSClient(sdk);
  const clusterArns = (await ecs.send(new ECS.ListClustersCommand({}))).clusterArns ?? [];
  const clusters = clusterArns.length ? (await ecs.send(new ECS.DescribeClustersCommand({ clusters: clusterArns, include: ["TAGS"] }))).clusters ?? [] : [];
  for (const c of clusters.filter((x) => x.status === "ACTIVE")) {
    if (ours(app, c.tags)) add("ecs:cluster", 1);
    const serviceArns = (await ecs.send(new ECS.ListServicesCommand({ cluster: c.clusterArn }))).serviceArns ?? [];
    if (!serviceArns.length) continue;
    const services = (await ecs.send(new ECS.DescribeServicesCommand({ cluster: c.clusterArn, services: serviceArns, include: ["TAGS"] }))).services ?? [];
    add("ecs:service", services.filter((s) => s.status !== "INACTIVE" && ours(app, s.tags)).length);
  }
  // One entry per family with an active revision, as deploys leave earlier revisions active.
  const families = new Set<string>();
  for (const arn of (await ecs.send(new ECS.ListTaskDefinitionsCommand({ status: "ACTIVE" }))).taskDefinitionArns ?? []) {
    const td = await ecs.send(new ECS.DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ["TAGS"] }));
    if (ours(app, td.tags)) families.add(td.taskDefinition!.family!);
  }
  add("ecs:task-definition", families.size);

  const ecr = new ECR.ECRClient(sdk);
  for (const r of (await ecr.send(new ECR.DescribeRepositoriesCommand({}))).repositories ?? []) {
    if (ours(app, (await ecr.send(new ECR.ListTagsForResourceCommand({ resourceArn: r.repositoryArn }))).tags)) add("ecr:repository", 1);
  }

  const logs = new LOGS.CloudWatchLogsClient(sdk);
  for (const g of (await logs.send(new LOGS.DescribeLogGroupsCommand({}))).logGroups ?? []) {
    const tags = (await logs.send(new LOGS.ListTagsForResourceCommand({ resourceArn: g.arn!.replace(/:\*$/, "") }))).tags ?? {};
    if (tags["spontime:stack"] === app) add("logs:log-group", 1);
  }

  const iam = new IAM.IAMClient(sdk);
  for (const r of (await iam.send(new IAM.ListRolesCommand({}))).Roles ?? []) {
    if (ours(app, (await iam.send(new IAM.ListRoleTagsCommand({ RoleName: r.RoleName }))).Tags)) add("iam:role", 1);
  }

  // Schedules take no tags: the stack's are in its tagged group (spec-options.ts lists them).
  const scheduler = new Scheduler.SchedulerClient(sdk);
  for (const g of (await scheduler.send(new Scheduler.ListScheduleGroupsCommand({}))).ScheduleGroups ?? []) {
    if (ours(app, (await scheduler.send(new Scheduler.ListTagsForResourceCommand({ ResourceArn: g.Arn }))).Tags)) add("scheduler:schedule-group", 1);
  }

  // Route 53 records take no tags: spec-options.ts reads the zone itself.
  const acm = new ACM.ACMClient(sdk);
  for (const c of (await acm.send(new ACM.ListCertificatesCommand({}))).CertificateSummaryList ?? []) {
    if (ours(app, (await acm.send(new ACM.ListTagsForCertificateCommand({ CertificateArn: c.CertificateArn }))).Tags)) add("acm:certificate", 1);
  }
  return out.sort();
}
