import type { Spec } from "../config/schema.js";
import { names, partitionOf } from "../config/names.js";

/**
 * What `docker login` and `docker push` call in the CI workflow (examples/github/deploy.yml), not this tool:
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html
 */
export const DOCKER_PUSH_ACTIONS = [
  "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage",
];

/**
 * The least-privilege IAM policy for the CI user that runs `deploy`: push to this repository only, register
 * and roll out this family and service, pass only the execution role, read this log group. Describe calls
 * that IAM cannot scope to a resource stay on "*".
 */
export function ciPolicy(spec: Spec, account = "*") {
  const n = names(spec);
  const partition = partitionOf(spec.region);
  const arn = (service: string, resource: string, region = spec.region) => `arn:${partition}:${service}:${region}:${account}:${resource}`;
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "EcrLogin", Effect: "Allow", Action: DOCKER_PUSH_ACTIONS.slice(0, 1), Resource: "*" },
      { Sid: "EcrPushThisRepository", Effect: "Allow", Action: [...DOCKER_PUSH_ACTIONS.slice(1), "ecr:DescribeImages", "ecr:DescribeRepositories"], Resource: arn("ecr", `repository/${n.ecrRepository}`) },
      // `releases` lists the family's revisions; a failed deploy deregisters its own (no resource-level scoping for these three).
      { Sid: "EcsTaskDefinitions", Effect: "Allow", Action: ["ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition", "ecs:ListTaskDefinitions", "ecs:DeregisterTaskDefinition"], Resource: "*" },
      { Sid: "EcsTagNewRevisions", Effect: "Allow", Action: ["ecs:TagResource"], Resource: "*", Condition: { StringEquals: { "ecs:CreateAction": ["RegisterTaskDefinition", "RunTask"] } } },
      // A release's outcome is written on its revision once known (src/app/releases.ts).
      { Sid: "EcsRecordReleases", Effect: "Allow", Action: ["ecs:TagResource"], Resource: arn("ecs", `task-definition/${n.taskFamily}:*`) },
      { Sid: "EcsThisService", Effect: "Allow", Action: ["ecs:UpdateService", "ecs:DescribeServices"], Resource: arn("ecs", `service/${n.cluster}/${n.service}`) },
      // deploy and run refuse to start tasks while the database sleeps (stopped).
      { Sid: "DatabaseAwake", Effect: "Allow", Action: ["rds:DescribeDBInstances"], Resource: arn("rds", `db:${n.dbInstance}`) },
      { Sid: "EcsMigrationTasks", Effect: "Allow", Action: ["ecs:RunTask"], Resource: arn("ecs", `task-definition/${n.taskFamily}:*`) },
      // StopTask: a one-off task (deploy --migrate, run) still going when its time is up is stopped.
      { Sid: "EcsTasksOfTheCluster", Effect: "Allow", Action: ["ecs:ListTasks", "ecs:DescribeTasks", "ecs:StopTask"], Resource: "*", Condition: { ArnEquals: { "ecs:cluster": arn("ecs", `cluster/${n.cluster}`) } } },
      {
        // The legacy name too: a stack made before role names carried the region keeps its role (src/aws/iam.ts).
        Sid: "PassOnlyTheExecutionRole", Effect: "Allow", Action: ["iam:PassRole"], Resource: [n.executionRole, n.legacyExecutionRole].map((r) => `arn:${partition}:iam::${account}:role/${r}`),
        Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      },
      { Sid: "LoadBalancerHealth", Effect: "Allow", Action: ["elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeLoadBalancers"], Resource: "*" },
      { Sid: "ReadAppLogs", Effect: "Allow", Action: ["logs:FilterLogEvents"], Resource: arn("logs", `log-group:${n.logGroup}:*`) },
    ],
  };
}
