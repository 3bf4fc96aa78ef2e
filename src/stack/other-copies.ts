import type { Aws } from "../aws/clients.js";
import { networkUsers } from "../aws/ec2.js";
import type { Observed } from "../engine/plan.js";
import { ToolError } from "../errors.js";
import type { DesiredStack } from "../resources/context.js";
import type { StackResourceOfAnyKind } from "./resources.js";

/** The AWS CLI commands that remove one EC2 item of a kind (a gateway is detached from its VPC first). */
const REMOVE: Record<string, (id: string) => string[]> = {
  "ec2:vpc": (id) => [`aws ec2 delete-vpc --vpc-id ${id}`],
  "ec2:subnet": (id) => [`aws ec2 delete-subnet --subnet-id ${id}`],
  "ec2:security-group": (id) => [`aws ec2 delete-security-group --group-id ${id}`],
  "ec2:route-table": (id) => [`aws ec2 delete-route-table --route-table-id ${id}`],
  "ec2:internet-gateway": (id) => [`aws ec2 detach-internet-gateway --internet-gateway-id ${id} --vpc-id <the VPC it is attached to>`, `aws ec2 delete-internet-gateway --internet-gateway-id ${id}`],
};

/**
 * Two live copies of a resource, one made by another run (two runs at once from two state directories, before
 * the claim, or beside an older version): `up` deletes neither, and stops here, before any change, naming each
 * copy (id, when and by which run it was made, what uses it) and how to resolve it. `recorded`: the id the
 * state file holds for a key.
 */
export async function refuseOtherCopies(aws: Aws, spec: DesiredStack, all: readonly StackResourceOfAnyKind[], observed: Observed, recorded: (key: string) => string | undefined): Promise<void> {
  const split = all.flatMap((r) => {
    const live = observed.get(r.key);
    return live?.otherCopies ? [{ r, copies: [live, ...live.otherCopies] }] : [];
  });
  if (!split.length) return;
  const lines: string[] = [];
  const removals: string[][] = [];
  for (const { r, copies } of split) {
    const ours = recorded(r.key);
    const seen = await Promise.all(copies.map(async (copy) => ({ copy, users: await networkUsers(aws, r.kind, copy.id) })));
    // Keep the copy this state file records; else the one more things use.
    const keep = seen.find((x) => x.copy.id === ours) ?? [...seen].sort((x, y) => y.users.length - x.users.length)[0]!;
    lines.push(`  ${r.title(spec)}:`);
    for (const { copy, users } of seen) {
      const made = copy.createdBy ? `made ${copy.createdBy.since} by run ${copy.createdBy.run}` : "made by an earlier version (no time recorded)";
      const mark = copy === keep.copy ? `keep   ${copy.id}${copy.id === ours ? " (this state file's)" : ""}` : `remove ${copy.id}`;
      lines.push(`    ${mark}: ${made}; used by ${users.length ? users.join(", ") : "nothing"}`);
      if (copy !== keep.copy) removals.push(REMOVE[r.kind]?.(copy.id) ?? [`# ${r.kind} ${copy.id}`]);
    }
  }
  throw new ToolError([
    "two live copies of the stack's network exist (two runs at once, each with its own state directory): this run changed nothing, and deletes neither",
    ...lines,
    "Keep the copies marked keep; if the ones marked remove are the ones in use (a load balancer's or the database's network interfaces), keep those instead and run from the state directory of the run that made them.",
    "Remove the others, what is inside a VPC first, then run `spontime-infra up` again:",
    // The resources are listed VPC first, then what is in it: removed the other way round.
    ...removals.reverse().flat().map((c) => `  ${c}`),
  ].join("\n"));
}
