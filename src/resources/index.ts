import type { Resource } from "../engine/types.js";
import { dbInstance } from "./db-instance.js";
import { dbSubnetGroup } from "./db-subnet-group.js";
import { ecrRepository } from "./ecr-repository.js";
import { ecsCluster } from "./ecs-cluster.js";
import { ecsService } from "./ecs-service.js";
import { executionRole } from "./iam-role.js";
import { internetGateway } from "./internet-gateway.js";
import { listener } from "./listener.js";
import { loadBalancer } from "./load-balancer.js";
import { logGroup } from "./log-group.js";
import { routeTable } from "./route-table.js";
import { secrets } from "./secrets.js";
import { securityGroup } from "./security-group.js";
import { subnet } from "./subnet.js";
import { targetGroup } from "./target-group.js";
import { taskDefinition } from "./task-definition.js";
import { vpc } from "./vpc.js";

/** The whole stack of the seed design, with the two-AZ changes real AWS demands (see README). */
export const STACK: readonly Resource[] = [
  vpc,
  internetGateway,
  subnet("public", 0),
  subnet("public", 1),
  subnet("private", 0),
  subnet("private", 1),
  routeTable,
  securityGroup("sg-alb", "ALB: HTTP 80 from anywhere", [{ port: () => 80, fromCidr: "0.0.0.0/0" }]),
  securityGroup("sg-ecs", "ECS tasks: container port from the ALB only", [{ port: (s) => s.app.containerPort, fromGroup: "sg-alb" }]),
  securityGroup("sg-rds", "RDS: PostgreSQL 5432 from the ECS tasks only", [{ port: () => 5432, fromGroup: "sg-ecs" }]),
  secrets,
  executionRole,
  logGroup,
  ecrRepository,
  dbSubnetGroup,
  dbInstance,
  loadBalancer,
  targetGroup,
  listener,
  ecsCluster,
  taskDefinition,
  ecsService,
] as Resource[];
