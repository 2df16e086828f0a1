// The services the trip's steps call, one per step of src/booking/steps.ts: the worker runs their
// activities, the invariants read their books. To add a step: the README's "Add a step".
import { flights } from './flights/index.ts';
import { hotels } from './hotels/index.ts';
import { payments } from './payments/index.ts';

export const TRIP_SERVICES = [flights, hotels, payments] as const;
