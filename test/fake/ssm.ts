/**
 * SSM Parameter Store, as far as the stack-level claim uses it (src/state/claim.ts): String parameters, created
 * only if absent unless Overwrite, listed one level under a path, deleted. Each rule cites the page that states it.
 */
import * as SSM from "@aws-sdk/client-ssm";
import type { FakeAws } from "./aws.js";
import { awsError, page, type Service } from "./common.js";

export interface Parameter { name: string; value: string; version: number; lastModified: number }
export interface SsmState { parameters: Map<string, Parameter> }

export const emptySsm = (): SsmState => ({ parameters: new Map() });

/** GetParametersByPath answers at most 10 per page by default (MaxResults, https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParametersByPath.html). */
const PAGE = 10;

export function ssmService(fake: FakeAws): Service<typeof SSM> {
  const params = () => fake.state.ssm.parameters;
  const shape = (p: Parameter) => ({ Name: p.name, Value: p.value, Type: "String", Version: p.version, LastModifiedDate: new Date(p.lastModified) });
  return {
    client: SSM.SSMClient,
    sdk: SSM,
    reads: {
      // Without Recursive, only the parameters one level below the path ("/a/b" lists "/a/b/c", not "/a/b/c/d"): same page.
      GetParametersByPath: (i) => {
        const prefix = `${i.Path!.replace(/\/$/, "")}/`;
        const all = [...params().values()].filter((p) => p.name.startsWith(prefix) && (i.Recursive || !p.name.slice(prefix.length).includes("/")))
          .sort((a, b) => a.name.localeCompare(b.name));
        const { items, next } = page(all, i.NextToken, i.MaxResults ?? PAGE);
        return { Parameters: items.map(shape), ...(next ? { NextToken: next } : {}) };
      },
    },
    writes: {
      // "Overwrite: Overwrite an existing parameter. The default value is false"; an existing name without it fails with
      // ParameterAlreadyExists (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html).
      // Each write makes a new version, starting at 1.
      PutParameter: (i) => {
        const old = params().get(i.Name!);
        if (old && !i.Overwrite) throw awsError("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.");
        if (/^\/?(aws|ssm)/i.test(i.Name!)) throw awsError("ValidationException", "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).");
        const p: Parameter = { name: i.Name!, value: i.Value!, version: (old?.version ?? 0) + 1, lastModified: fake.clock.now() };
        params().set(p.name, p);
        return { Version: p.version, Tier: "Standard" };
      },
      // ParameterNotFound for a name that does not exist (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DeleteParameter.html).
      DeleteParameter: (i) => {
        if (!params().delete(i.Name!)) throw awsError("ParameterNotFound", `Parameter ${i.Name} not found.`);
        return {};
      },
    },
  };
}
