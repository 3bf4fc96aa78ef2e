/** STS: who the caller is. */
import * as STS from "@aws-sdk/client-sts";
import type { FakeAws } from "./aws.js";
import type { Service } from "./common.js";

export function stsService(fake: FakeAws): Service<typeof STS> {
  return {
    client: STS.STSClient,
    sdk: STS,
    reads: {
      // Answers for any valid credentials, whatever their policies say: "No permissions are required to perform
      // this operation" (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
      GetCallerIdentity: () => ({ Account: fake.account, Arn: fake.callerArn, UserId: "AIDAFAKE" }),
    },
    writes: {},
  };
}
