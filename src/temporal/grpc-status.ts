// The gRPC status codes this app reads off Temporal's errors, by name (gRPC's own numbering:
// https://grpc.github.io/grpc/core/md_doc_statuscodes.html).
export const GrpcStatus = {
  NOT_FOUND: 5,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
} as const;

/** The gRPC status code an error carries (grpc-js's and the native connection's both put it in `code`), if any. */
export function grpcStatusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}
