/** Clients the CLI (and tests) use for the admin and Workload APIs. */
import * as grpc from '@grpc/grpc-js';
import { CLIENT_OPTIONS, services } from '../common/grpc.js';
import { channelCredentials, type TlsMaterial } from '../common/tls.js';
import type { AdminClient } from '../proto/gen/mpcid/admin/v1/Admin.js';
import type { WorkloadClient } from '../proto/gen/mpcid/agent/v1/Workload.js';

/** An admin API client: mTLS with an operator certificate (role admin), or plaintext when `tls` is null. */
export function adminClient(address: string, tls: TlsMaterial | null): AdminClient {
  return new (services().admin.mpcid.admin.v1.Admin)(address, channelCredentials(tls), CLIENT_OPTIONS);
}

export function workloadClient(socket: string): WorkloadClient {
  return new (services().workload.mpcid.agent.v1.Workload)(
    `unix://${socket}`,
    grpc.credentials.createInsecure(),
    CLIENT_OPTIONS,
  );
}
