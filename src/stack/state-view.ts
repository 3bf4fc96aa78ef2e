import { appUrl, awaitingFirstDeploy, type names } from "../config/names.js";
import { certificate } from "../resources/certificate.js";
import type { DesiredStack } from "../resources/context.js";
import { dbInstance } from "../resources/db-instance.js";
import { ecrRepository } from "../resources/ecr-repository.js";
import { httpsListener } from "../resources/https-listener.js";
import { loadBalancer } from "../resources/load-balancer.js";
import { secrets } from "../resources/secrets.js";
import { databaseUrl, taskDefinition } from "../resources/task-definition.js";
import { UserError } from "../errors.js";
import type { StateStore } from "../state/store.js";

type Outputs = ReadonlyMap<string, Record<string, string>>;

/**
 * What the state file says about the stack, with no AWS call: the app's URL, whether it waits for its first
 * image, the account, and the outputs scripts read. `outputs` of a run just applied win over the file's.
 */
export class StateView {
  constructor(private readonly state: StateStore, private readonly spec: () => DesiredStack, private readonly n: ReturnType<typeof names>) {}

  private record(key: string, outputs?: Outputs): Record<string, string> | undefined {
    return outputs?.get(key) ?? this.state.data.resources[key]?.outputs;
  }

  /** The app's URL; without a spec that names the domain (`outputs` run elsewhere), the certificate's. */
  url(outputs?: Outputs): string | undefined {
    const domain = this.spec().https?.domain ?? this.record(certificate.key, outputs)?.domain;
    return appUrl(domain ? { domain } : undefined, !!this.record(httpsListener.key, outputs), this.record(loadBalancer.key, outputs)?.dnsName);
  }

  /** True while the service waits for its first image. */
  awaitingFirstDeploy(outputs?: Outputs): boolean {
    const image = this.record(taskDefinition.key, outputs)?.image;
    return !image || awaitingFirstDeploy(image);
  }

  /** The account id, from the repository URI the state file holds once `up` has run. */
  account(): string | undefined {
    return this.record(ecrRepository.key)?.repositoryUri?.split(".")[0];
  }

  /** What scripts need; secrets only on request. */
  outputs(showSecrets = false): Record<string, string | null> {
    if (!this.state.exists) {
      throw new UserError(`no outputs: no state at ${this.state.path}`, "run this where `up` ran, or point at the state with --state-dir <dir> (--state-bucket <bucket> for team state in S3); no stack yet? run `spontime-infra up` first");
    }
    if (!this.record(loadBalancer.key)) throw new UserError(`no outputs: ${this.state.path} has no stack yet`, "run `spontime-infra up` first");
    const n = this.n;
    const db = this.record(dbInstance.key);
    const values: Record<string, string | null> = {
      url: this.url() ?? null,
      ecrRepositoryUri: this.record(ecrRepository.key)?.repositoryUri ?? null,
      cluster: n.cluster, service: n.service, taskFamily: n.taskFamily, logGroup: n.logGroup,
      dbEndpoint: db?.endpoint ?? null,
      region: this.spec().region,
    };
    if (!showSecrets) return values;
    const s = this.record(secrets.key);
    const { username, name } = this.spec().database;
    return { ...values, dbPassword: s?.dbPassword ?? null, secretKey: s?.secretKey ?? null, databaseUrl: databaseUrl(username, s?.dbPassword ?? "", db?.endpoint ?? "", db?.port ?? "5432", name) };
  }
}
