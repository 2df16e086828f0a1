// What a fuzz run reached: from schemathesis' HAR report, the statuses each documented operation
// answered. An operation that only ever answered 404 was never given a booking that exists, and one
// that never answered 2xx never did what it is for: its logic went untested, whatever the run's
// verdict.
import { readFile } from 'node:fs/promises';

interface Har {
  log: { entries: { request: { method: string; url: string }; response: { status: number } }[] };
}

type Paths = Record<string, Record<string, { operationId?: string }>>;

/** `{param}` is one path segment. */
const templateMatcher = (template: string) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}/?$`);

/** Per operation (its operationId, or `METHOD path`): how often it answered each status. */
export function statusesByOperation(har: Har, paths: Paths): Map<string, Map<number, number>> {
  const operations = Object.entries(paths).flatMap(([template, item]) =>
    Object.entries(item).map(([method, op]) => ({
      method: method.toUpperCase(),
      matcher: templateMatcher(template),
      name: op.operationId ?? `${method.toUpperCase()} ${template}`,
    })),
  );
  const reached = new Map<string, Map<number, number>>();
  for (const { request, response } of har.log.entries) {
    const path = new URL(request.url).pathname;
    const op = operations.find((o) => o.method === request.method && o.matcher.test(path));
    if (!op) continue;
    const counts = reached.get(op.name) ?? new Map<number, number>();
    counts.set(response.status, (counts.get(response.status) ?? 0) + 1);
    reached.set(op.name, counts);
  }
  return reached;
}

/** One line per operation: `cancelBooking: 202×3 409×5`, in the document's order. */
export function describeReach(reached: Map<string, Map<number, number>>): string[] {
  return [...reached].map(
    ([name, counts]) =>
      `${name}: ${[...counts]
        .sort(([a], [b]) => a - b)
        .map(([status, n]) => `${status}×${n}`)
        .join(' ')}`,
  );
}

/** Operations that were called and never answered anything but 404. */
export function onlyNotFound(reached: Map<string, Map<number, number>>): string[] {
  return [...reached]
    .filter(([, counts]) => [...counts.keys()].every((status) => status === 404))
    .map(([name]) => name);
}

/**
 * What the stateful phase must have done at least once, each a 2xx: cancel a booking, confirm and
 * extend a HELD one, retry and resolve a COMPENSATION_FAILED one.
 */
export const STATEFUL_MUST_SUCCEED = [
  'cancelBooking',
  'confirmBooking',
  'extendHold',
  'retryCompensation',
  'resolveCompensation',
] as const;

/** Of `operations`, those that never answered 2xx (or were never called). */
export function neverSucceeded(reached: Map<string, Map<number, number>>, operations: readonly string[]): string[] {
  return operations.filter(
    (name) => ![...(reached.get(name)?.keys() ?? [])].some((status) => status >= 200 && status < 300),
  );
}

export async function readHar(path: string): Promise<Har | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Har;
  } catch {
    return undefined;
  }
}
