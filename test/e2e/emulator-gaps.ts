/**
 * Where moto (the emulator `npm run test:e2e` runs on, moto 5.2) differs from AWS, as far as this stack meets
 * it. Each difference is listed with its source and what the e2e setup does about it; none is worked around in
 * the product. Where AWS is stricter, the offline fake models the AWS side (and `npm test` covers it).
 * Sources marked "moto 5.2.1" are moto's code at that version (github.com/getmoto/moto), confirmed by calling
 * the server.
 */
export interface EmulatorGap { what: string; aws: string; source: string; handling: string }

/**
 * Fields moto never reports in a describe, by resource key. The product (rightly, for AWS) sees them as drift
 * and sends them again on each `up`; the contract run on moto accepts exactly those updates (contract.ts).
 */
export const MOTO_UNREPORTED: Record<string, string[]> = {
  "ecs-service": ["healthCheckGracePeriodSeconds", "deployment"],
  "load-balancer": ["idleTimeoutSeconds"],
};

export const MOTO_GAPS: EmulatorGap[] = [
  {
    what: "ELBv2 DescribeLoadBalancerAttributes leaves out idle_timeout.timeout_seconds (and access_logs.s3.enabled) until they are set",
    aws: "lists every attribute of the load balancer, with its default (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_LoadBalancerAttribute.html)",
    source: "moto 5.2.1 moto/elbv2/models.py FakeLoadBalancer.attrs: both keys \"commented out for TF compatibility\"",
    handling: "MOTO_UNREPORTED above: the contract on moto accepts the one update that sets the idle timeout; access logs read as off either way",
  },
  {
    what: "ECS CreateService ignores healthCheckGracePeriodSeconds and deploymentConfiguration; DescribeServices never returns them",
    aws: "DescribeServices returns both as set (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html)",
    source: "moto 5.2.1 moto/ecs/responses.py create_service reads neither parameter; moto/ecs/models.py Service has no such field",
    handling: "MOTO_UNREPORTED above: on moto the contract accepts the service's update that re-sends them, and nothing else",
  },
  {
    what: "RDS DescribeOrderableDBInstanceOptions lists nothing for postgres (any class)",
    aws: "lists each orderable engine/class with its AvailabilityZones (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeOrderableDBInstanceOptions.html)",
    source: "moto 5.2.1, confirmed by calling the server: OrderableDBInstanceOptions is empty for Engine=postgres, DBInstanceClass=db.t4g.micro or db.t3.micro",
    handling: "none needed: an empty answer means the product cannot tell (as when the call is denied), so it keeps the region's first two AZs and says AZs were not checked",
  },
  {
    what: "IAM CreateServiceLinkedRole for a role that exists answers EntityAlreadyExists (and names it AWSServiceRoleForecs)",
    aws: "InvalidInput \"Service role name AWSServiceRoleForECS has been taken in this account\" (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceLinkedRole.html)",
    source: "moto 5.2.1 moto/iam/models.py create_service_linked_role builds the name from the service prefix and creates it as an ordinary role",
    handling: "none needed: the product takes either answer as \"the role is there\"",
  },
  {
    what: "RDS DescribeDBEngineVersions is not implemented (HTTP 500, an HTML body)",
    aws: "lists the engine versions of a family (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBEngineVersions.html)",
    source: "moto 5.2.1 moto/rds/responses.py has no describe_db_engine_versions; https://docs.getmoto.org/en/latest/docs/services/rds.html",
    handling: "MOTO_CONFIG pins a full engine version (15.8), as a user may, so the CLI has no minor version to resolve",
  },
  {
    what: "ECS RegisterTaskDefinition accepts any Fargate cpu/memory pair (256 cpu with 4096 MiB is registered)",
    aws: "ClientException for a pair outside the Fargate table (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html)",
    source: "moto 5.2.1 moto/ecs/models.py TaskDefinition stores cpu and memory unchecked",
    handling: "not exercised on moto; the fake refuses it (test/witness.test.ts)",
  },
  {
    what: "ELBv2 CreateLoadBalancer accepts subnets in a single AZ",
    aws: "an ALB needs subnets in at least two AZs (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html)",
    source: "moto 5.2.1 moto/elbv2/models.py create_load_balancer only checks that each subnet exists",
    handling: "not exercised on moto; the fake refuses it (test/stack.test.ts)",
  },
  {
    what: "ECS UpdateService with a new taskDefinition starts no deployment: the service's one deployment keeps the old revision (and, with no containers, never completes)",
    aws: "UpdateService with a new task definition starts a new PRIMARY deployment of it (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html, taskDefinition: \"This parameter triggers a new service deployment\")",
    source: "moto 5.2.1 moto/ecs/models.py update_service sets task_definition and only renews deployments[0] for forceNewDeployment",
    handling: "on moto every deploy fails with \"the service update started no deployment\" and is restored: the e2e checks that two such deploys are recorded and listed by `releases` in order, and that the service is back on its revision; a healthy deploy and `rollback` are on the fake only (test/releases.test.ts, test/deploy.test.ts)",
  },
  {
    what: "ECS DescribeTaskDefinition with a family name (no revision) answers the newest revision even when it is INACTIVE",
    aws: "\"If a revision isn't specified, the latest ACTIVE revision is used\" (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html)",
    source: "moto 5.2.1 moto/ecs/models.py describe_task_definition takes _get_last_task_definition_revision_id(family) whatever its status",
    handling: "after a failed deploy (its revision deregistered) the stack's task definition looks absent on moto, so `down` leaves the ACTIVE one the service was restored to: the e2e releases step deregisters it with the SDK, as `down` does on AWS",
  },
  {
    what: "RDS snapshots are available at once and DeleteDBInstance deletes at once",
    aws: "a snapshot is `creating` for minutes; RestoreDBInstanceFromDBSnapshot needs it `available` (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceFromDBSnapshot.html, InvalidDBSnapshotState)",
    source: "moto 5.2.1 moto/rds/models.py DBSnapshot sets status \"available\" in its constructor",
    handling: "none needed on moto; the fake keeps a snapshot `creating` for 3 minutes and refuses to restore or delete it meanwhile (test/fake/rds.ts); `up` offers only available snapshots",
  },
  {
    what: "ECS runs no containers: a service stays at 0 running tasks with its deployment IN_PROGRESS, no target is ever registered or healthy",
    aws: "tasks start, register with the target group and pass health checks",
    source: "moto 5.2.1 moto/ecs/models.py Service (running_count from EC2 container instances only; Fargate tasks are never started)",
    handling: "deploy, wake and health checks are not in the e2e run; the fake models tasks on its clock (test/deploy.test.ts)",
  },
  {
    what: "ECS RunTask fails with HTTP 500 (TypeError: unsupported operand type(s) for +=: 'int' and 'NoneType') for a Fargate task definition whose container sets no memory of its own",
    aws: "on Fargate a container's memory is optional when the task sets it (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html, memory: \"If using the Fargate launch type, this parameter is optional\"); RunTask starts the task",
    source: "moto 5.2.1 moto/ecs/models.py _calculate_task_resource_requirements adds the container's memory or memoryReservation without a default; reproduced with boto3 on mock_aws (found walking the README: `deploy --migrate` retried RunTask until its deadline)",
    handling: "`deploy --migrate` and `run` are not in the e2e run (moto would not run the task either, above); the fake starts and stops tasks on its clock (test/deploy.test.ts)",
  },
  {
    what: "RDS CreateDBInstance answers with the instance already `available`",
    aws: "`creating` for several minutes (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html)",
    source: "moto 5.2.1 moto/rds/models.py DBInstance sets status \"available\" on creation",
    handling: "the waits are covered on the fake's clock only",
  },
  {
    what: "AWS managed IAM policies (AmazonECSTaskExecutionRolePolicy) exist only when moto is started with MOTO_IAM_LOAD_MANAGED_POLICIES=true",
    aws: "managed policies always exist (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonECSTaskExecutionRolePolicy.html)",
    source: "moto 5.2.1 moto/settings.py (MOTO_IAM_LOAD_MANAGED_POLICIES)",
    handling: "e2e/moto.ts starts moto with it set",
  },
  {
    what: "EventBridge Scheduler CreateScheduleGroup of an existing name replaces the group, and the schedules in it are lost",
    aws: "ConflictException (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateScheduleGroup.html)",
    source: "moto 5.2.1 moto/scheduler/models.py create_schedule_group (line 284) assigns a new ScheduleGroup under the name; confirmed by calling the server (a schedule in the group is gone)",
    handling: "not exercised on moto (no lost response there); the fake answers ConflictException (test/fake/scheduler.ts), which the product reads as \"already exists\" and adopts the group",
  },
  {
    what: "EventBridge Scheduler DeleteScheduleGroup deletes at once (never DELETING), and for a missing group answers HTTP 500",
    aws: "the group is DELETING while its schedules are deleted; a missing group is ResourceNotFoundException (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_DeleteScheduleGroup.html)",
    source: "moto 5.2.1 moto/scheduler/models.py delete_schedule_group (line 321) pops the name from a dict (KeyError when absent); ScheduleGroup.to_dict always says ACTIVE",
    handling: "the wait for DELETING to end is covered on the fake's clock only (test/schedule.test.ts)",
  },
  {
    what: "EventBridge Scheduler CreateSchedule checks nothing: a bad cron, an unknown time zone and a role that is not an ARN are all stored; ClientToken is ignored; a missing group is HTTP 500",
    aws: "ValidationException for each (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html, https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html); ResourceNotFoundException for a missing group",
    source: "moto 5.2.1 moto/scheduler/models.py create_schedule (line 184: \"The ClientToken parameter is not yet implemented\"; line 202 indexes the groups dict); confirmed by calling the server with cron(bogus), Mars/Olympus and RoleArn not-an-arn",
    handling: "the product's own validation (src/config/schedule.ts) is tested offline; the fake refuses a bad expression (test/schedule.test.ts)",
  },
  {
    what: "EventBridge Scheduler never runs a schedule: no target is ever invoked",
    aws: "each schedule calls its universal target as its role at the cron time (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html)",
    source: "moto 5.2.1 moto/scheduler/models.py stores schedules only (https://docs.getmoto.org/en/latest/docs/services/scheduler.html)",
    handling: "the e2e run checks the schedules, their role and its policy as stored; a week of firing, DST included, runs on the fake's clock (test/schedule.test.ts)",
  },
  {
    what: "ACM issues a DNS-validated certificate after a fixed wait (MOTO_ACM_VALIDATION_WAIT, 60 s by default) whether or not its validation CNAME exists anywhere",
    aws: "PENDING_VALIDATION until ACM finds the CNAME in public DNS, then ISSUED; VALIDATION_TIMED_OUT after 72 hours without it (https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html)",
    source: "moto 5.2.1 moto/acm/models.py CertBundle.check (line 332): PENDING_VALIDATION becomes ISSUED once settings.ACM_VALIDATION_WAIT seconds have passed; moto/settings.py (MOTO_ACM_VALIDATION_WAIT)",
    handling: "e2e/moto.ts starts moto with MOTO_ACM_VALIDATION_WAIT_S below, so up meets PENDING_VALIDATION, waits, and sees ISSUED in seconds; that the CNAME is written is checked in moto's Route 53 itself; that nothing is issued without it is on the fake (test/https.test.ts)",
  },
  {
    what: "ACM gives every certificate the same validation CNAME (name _d930b28be6c5927595552b219965053e.<domain>, one fixed value)",
    aws: "a name and value derived from the domain and the account (https://docs.aws.amazon.com/acm/latest/userguide/dns-validation.html)",
    source: "moto 5.2.1 moto/acm/models.py CertBundle.describe (line 412)",
    handling: "none needed: the product writes what DescribeCertificate gives",
  },
  {
    what: "ACM DeleteCertificate deletes a certificate that an HTTPS listener still uses",
    aws: "ResourceInUseException while it is in use (https://docs.aws.amazon.com/acm/latest/APIReference/API_DeleteCertificate.html)",
    source: "moto 5.2.1 moto/acm/models.py delete_certificate (line 585) never reads in_use_by",
    handling: "moto cannot catch a wrong order; the listener-before-certificate order when https is removed is checked on the fake, which refuses it (test/https.test.ts)",
  },
  {
    what: "ELBv2 CreateListener takes an ACM certificate that is still PENDING_VALIDATION",
    aws: "CertificateNotFound until the certificate is issued (https://github.com/aws/aws-cdk/issues/6081)",
    source: "moto 5.2.1 moto/elbv2/models.py _certificate_exists (line 1905) only checks that the ARN exists in ACM or IAM",
    handling: "moto cannot catch a listener made too early; the product waits for ISSUED first (certificate-validation.ts) and the fake refuses a pending certificate",
  },
  {
    what: "ELBv2 gives every load balancer CanonicalHostedZoneId Z2P70J7EXAMPLE, and an HTTP listener an SslPolicy (ELBSecurityPolicy-2016-08)",
    aws: "the region's ELB hosted zone (Z35SXDOTRQ7X7K for ALBs in us-east-1, https://docs.aws.amazon.com/general/latest/gr/elb.html); SslPolicy only on HTTPS/TLS listeners (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Listener.html)",
    source: "moto 5.2.1 moto/elbv2/models.py FakeLoadBalancer (line 626); moto/elbv2/responses.py create_listener (line 124) defaults SslPolicy for any protocol",
    handling: "none needed: the alias points where DescribeLoadBalancers says, and the product compares the SSL policy of the HTTPS listener only",
  },
  {
    what: "Route 53 lists an alias record with TTL 0",
    aws: "an alias record has no TTL (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html)",
    source: "moto 5.2.1 moto/route53/models.py RecordSet (line 197: TTL defaults to 0)",
    handling: "none needed: the product compares an alias by its target only",
  },
];

/** Seconds moto's ACM waits before it issues a certificate (see the ACM gap above): long enough for up to see it pending. */
export const MOTO_ACM_VALIDATION_WAIT_S = 3;

/** The spontime.config.json the e2e run uses: the defaults, except where a gap above needs otherwise. */
export const MOTO_CONFIG = { database: { engineVersion: "15.8" } };
