// What tells a watcher that a booking's saga moved: its workflow's history, long-polled. Each step
// and undo the workflow schedules, and each that completes or fails for good, is an event of the
// history the moment it happens, whatever service ran it and whatever database that service keeps:
// so the booking side learns of them from Temporal, never from the services' tables. (An attempt
// that fails and is retried is no event: the watcher reads those from describe, watchers.ts.)
import { isGrpcServiceError, type Client } from '@temporalio/client';
import { GrpcStatus } from '../../temporal/grpc-status.ts';

/** The first pause before a long poll that failed is made again (doubles up to MAX_PAUSE_MS). */
const FIRST_PAUSE_MS = 500;
const MAX_PAUSE_MS = 10_000;

/**
 * Long-polls the workflow's history and calls `moved` each time new events come, until the
 * workflow closes, is gone, or the returned function stops it. The history as it was when this
 * started is no news (the watcher's first read shows it). A call that fails (Temporal is
 * restarting) is made again after a growing pause; meanwhile the watcher polls.
 */
export function followHistory(client: Client, workflowId: string, moved: () => void): () => void {
  const abort = new AbortController();
  void (async () => {
    let nextPageToken: Uint8Array | undefined;
    let first = true;
    let pause = FIRST_PAUSE_MS;
    while (!abort.signal.aborted) {
      try {
        const page = await client.withAbortSignal(abort.signal, () =>
          client.workflowService.getWorkflowExecutionHistory({
            namespace: client.options.namespace,
            execution: { workflowId },
            ...(nextPageToken ? { nextPageToken } : {}),
            waitNewEvent: true,
            skipArchival: true,
          }),
        );
        if (!first && (page.history?.events?.length ?? 0) > 0 && !abort.signal.aborted) moved();
        first = false;
        pause = FIRST_PAUSE_MS;
        // No token: the workflow closed, and its history has nothing more to tell.
        if (!page.nextPageToken?.length) return;
        nextPageToken = page.nextPageToken;
      } catch (error) {
        if (abort.signal.aborted) return;
        // The workflow is gone (or never was).
        if (isGrpcServiceError(error) && Number(error.code) === GrpcStatus.NOT_FOUND) return;
        await new Promise((resolve) => setTimeout(resolve, pause).unref());
        pause = Math.min(pause * 2, MAX_PAUSE_MS);
      }
    }
  })();
  return () => abort.abort();
}
