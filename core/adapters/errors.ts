// The one error type of the infrastructure adapters (nvidia-smi, Prometheus scrape, Kubernetes).
// Each failure carries a code a flow can switch on and a message that says what to do about it,
// because the usual causes (no root in a container, a missing RBAC rule, a wrong URL) are
// configuration problems the user fixes outside Node-RED.

export type AdapterErrorCode =
  /** The program or API refused for lack of rights (nvidia-smi exit 4, HTTP 401/403). */
  | 'ERR_PERMISSION'
  /** nvidia-smi is not at the configured path. */
  | 'ERR_NOT_FOUND'
  /** A call took longer than its limit and was abandoned. */
  | 'ERR_TIMEOUT'
  /** The GPU or driver does not offer the operation (nvidia-smi exit 3, no driver). */
  | 'ERR_UNSUPPORTED'
  /** The remote end cannot be reached (connection refused, DNS, HTTP 5xx). */
  | 'ERR_UNREACHABLE'
  /** The named object does not exist (Deployment, GPU index, URL path). */
  | 'ERR_MISSING'
  /** Someone else kept changing the object while we tried to write it. */
  | 'ERR_CONFLICT'
  /** Output we could not read. */
  | 'ERR_BAD_OUTPUT'
  /** A bad argument or option from the caller. */
  | 'ERR_BAD_CONFIG'
  | 'ERR_FAILED';

export class AdapterError extends Error {
  constructor(
    readonly code: AdapterErrorCode,
    message: string,
    /** What was run or requested, for the log (e.g. `nvidia-smi -i 0 -lgc 1200,1200`). */
    readonly command?: string,
    /** Exit status of a program, or HTTP status of a request. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AdapterError';
  }
}
