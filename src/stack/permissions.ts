/**
 * Every IAM action `up`, `down`, `sleep`, `wake`, `status` and `doctor` call, by IAM service prefix: the one
 * list. `doctor` (and `up` before its first change) simulates it for the caller; the README's "AWS permissions"
 * shows `permissionLines()`; a test runs the stack on the fake and checks every call it makes is listed here.
 * Beyond the calls: tagging at create needs each service's tag action, and a task definition naming an
 * execution role needs `iam:PassRole` (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html).
 */
export const STACK_ACTIONS = {
  ec2: [
    "CreateVpc", "DeleteVpc", "DescribeVpcs", "DescribeVpcAttribute", "ModifyVpcAttribute",
    "CreateSubnet", "DeleteSubnet", "DescribeSubnets", "ModifySubnetAttribute", "DescribeAvailabilityZones",
    "CreateInternetGateway", "DeleteInternetGateway", "DescribeInternetGateways", "AttachInternetGateway", "DetachInternetGateway",
    "CreateRouteTable", "DeleteRouteTable", "DescribeRouteTables", "CreateRoute", "ReplaceRoute", "AssociateRouteTable", "DisassociateRouteTable",
    "CreateSecurityGroup", "DeleteSecurityGroup", "DescribeSecurityGroups", "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress",
    "CreateTags", "DeleteTags",
    // What uses each of two live copies of the network, when `up` finds them (Stack.refuseOtherCopies).
    "DescribeNetworkInterfaces",
  ],
  elasticloadbalancing: [
    "CreateLoadBalancer", "DeleteLoadBalancer", "DescribeLoadBalancers", "SetSecurityGroups", "SetSubnets", "DescribeLoadBalancerAttributes", "ModifyLoadBalancerAttributes",
    "CreateTargetGroup", "DeleteTargetGroup", "DescribeTargetGroups", "ModifyTargetGroup", "DescribeTargetGroupAttributes", "ModifyTargetGroupAttributes", "DescribeTargetHealth",
    "CreateListener", "DeleteListener", "DescribeListeners", "ModifyListener", "DescribeRules", "DeleteRule",
    "AddTags", "RemoveTags", "DescribeTags",
  ],
  rds: [
    "CreateDBInstance", "DeleteDBInstance", "DescribeDBInstances", "ModifyDBInstance", "StopDBInstance", "StartDBInstance",
    "CreateDBSubnetGroup", "DeleteDBSubnetGroup", "DescribeDBSubnetGroups", "ModifyDBSubnetGroup",
    "DescribeDBEngineVersions", "DescribeOrderableDBInstanceOptions", "AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource",
    // A final snapshot (down, or before a replacement) is a snapshot the caller creates; `up` after `down` restores one;
    // `snapshots` lists and deletes them.
    "CreateDBSnapshot", "DescribeDBSnapshots", "RestoreDBInstanceFromDBSnapshot", "DeleteDBSnapshot",
  ],
  ecs: [
    "CreateCluster", "DeleteCluster", "DescribeClusters",
    "CreateService", "DeleteService", "DescribeServices", "UpdateService",
    "RegisterTaskDefinition", "DeregisterTaskDefinition", "DescribeTaskDefinition", "ListTaskDefinitions",
    "TagResource", "UntagResource",
  ],
  ecr: [
    "CreateRepository", "DeleteRepository", "DescribeRepositories", "PutLifecyclePolicy", "GetLifecyclePolicy", "PutImageScanningConfiguration", "PutImageTagMutability",
    "TagResource", "UntagResource", "ListTagsForResource",
  ],
  // A first run, a run after a lost state file, and `down` look for what an earlier `https` or `schedule` spec
  // left (src/stack/resources.ts `toObserve`): it is deleted.
  acm: ["ListCertificates"],
  scheduler: ["GetScheduleGroup", "ListSchedules"],
  logs: ["CreateLogGroup", "DeleteLogGroup", "DescribeLogGroups", "PutRetentionPolicy", "TagResource", "UntagResource", "ListTagsForResource"],
  iam: [
    "CreateRole", "DeleteRole", "GetRole", "UpdateAssumeRolePolicy", "AttachRolePolicy", "DetachRolePolicy", "ListAttachedRolePolicies", "ListRolePolicies",
    "TagRole", "UntagRole", "PassRole", "CreateServiceLinkedRole", "SimulatePrincipalPolicy",
    // `up` deletes an inline policy added by hand; `down` every inline policy, the secrets one whether or not the state remembers it.
    "DeleteRolePolicy",
  ],
  // The stack-level claim of up, down, sleep and wake (src/state/claim.ts), on /spontime-infra/<app>/claim/*.
  ssm: ["PutParameter", "GetParametersByPath", "DeleteParameter"],
} as const;

/** What a spec with a `schedule` adds: the schedules, and the inline policy of the role they run as. */
export const SCHEDULE_ACTIONS = {
  scheduler: [
    "CreateScheduleGroup", "DeleteScheduleGroup", "GetScheduleGroup", "CreateSchedule", "UpdateSchedule", "DeleteSchedule", "GetSchedule", "ListSchedules",
    "TagResource", "UntagResource", "ListTagsForResource",
  ],
  iam: ["PutRolePolicy", "GetRolePolicy"],
} as const;

/** What `app.secrets` adds: the execution role's inline policy naming exactly those entries. */
export const SECRETS_ACTIONS = { iam: ["PutRolePolicy", "GetRolePolicy"] } as const;

/** What a spec with `https` adds: the certificate (tagged at request), and the DNS records where the zone is in the account. */
export const HTTPS_ACTIONS = {
  acm: ["RequestCertificate", "DescribeCertificate", "ListTagsForCertificate", "AddTagsToCertificate", "DeleteCertificate"],
  route53: ["ListHostedZonesByName", "ListResourceRecordSets", "ChangeResourceRecordSets"],
} as const;

/** What `app.capacity: "FARGATE_SPOT"` adds: associating the Fargate capacity providers with the cluster. */
export const SPOT_ACTIONS = { ecs: ["PutClusterCapacityProviders"] } as const;

type Actions = Record<string, readonly string[]>;
const qualified = (list: Actions) => Object.entries(list).flatMap(([service, actions]) => actions.map((a) => `${service}:${a}`));

/** `service:Action` for each action this spec's stack calls. */
export const stackActions = (spec: { schedule?: unknown; https?: unknown; app?: { capacity?: string; secrets?: object } }): string[] => [...new Set([
  ...qualified(STACK_ACTIONS), ...(spec.schedule ? qualified(SCHEDULE_ACTIONS) : []), ...(spec.https ? qualified(HTTPS_ACTIONS) : []),
  ...(spec.app?.capacity === "FARGATE_SPOT" ? qualified(SPOT_ACTIONS) : []),
  ...(Object.keys(spec.app?.secrets ?? {}).length > 0 ? qualified(SECRETS_ACTIONS) : []),
])];

/** The README's list: one line per service, then what a schedule adds. */
export const permissionLines = (): string[] => [
  ...Object.entries(STACK_ACTIONS as Actions).map(([service, actions]) => `- \`${service}\`: ${actions.join(", ")}`),
  ...Object.entries(SCHEDULE_ACTIONS as Actions).map(([service, actions]) => `- with a \`schedule\` in the spec, \`${service}\`: ${actions.join(", ")}`),
  ...Object.entries(HTTPS_ACTIONS as Actions).map(([service, actions]) => `- with \`https\` in the spec, \`${service}\`: ${actions.join(", ")}`),
  ...Object.entries(SPOT_ACTIONS as Actions).map(([service, actions]) => `- with \`app.capacity: "FARGATE_SPOT"\`, \`${service}\`: ${actions.join(", ")}`),
  ...Object.entries(SECRETS_ACTIONS as Actions).map(([service, actions]) => `- with \`app.secrets\`, \`${service}\`: ${actions.join(", ")}`),
];
