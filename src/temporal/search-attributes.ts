// Registers the BookingStatus search attribute on a Temporal server (the dev server `npm run dev`
// starts registers it at start; this does it for any other server and for the test server).
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { BOOKING_STATUS_SEARCH_ATTRIBUTE } from '../booking/messages.ts';

const KEYWORD = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
const GRPC_ALREADY_EXISTS = 6;

/** Adds BookingStatus (Keyword) to the namespace; one that exists already is fine. */
export async function registerSearchAttributes(connection: Connection, namespace = 'default'): Promise<void> {
  try {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: { [BOOKING_STATUS_SEARCH_ATTRIBUTE.name]: KEYWORD },
    });
  } catch (error) {
    if ((error as { code?: number }).code !== GRPC_ALREADY_EXISTS) throw error;
  }
}
