// Prefer: wait=N (RFC 7240 §4.3): how long a client is willing to wait for the outcome. Only wait
// is honoured, only as 1–30 whole seconds; anything else in the header, malformed or not, is
// ignored, as the RFC asks of a preference a server does not support. An honoured wait is said
// in the answer (Preference-Applied), and the document states both headers.
import type { Request, Response } from 'express';

export const MAX_WAIT_SECONDS = 30;

/** The `wait` preference in seconds, or undefined when absent, malformed or outside 1–30. */
export function preferredWait(header: string | undefined): number | undefined {
  if (!header || header.length > 1024) return undefined;
  let found: number | undefined;
  for (const preference of header.split(',')) {
    // A preference is token [ "=" value ] followed by ;-parameters, which wait has none of.
    const [head = ''] = preference.split(';');
    const match = /^\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*(?:=\s*(?:"([^"]*)"|([^\s"]*)))?\s*$/.exec(head);
    if (!match || match[1]!.toLowerCase() !== 'wait') continue;
    const value = match[2] ?? match[3] ?? '';
    if (found !== undefined) return undefined; // two waits: ambiguous, ignored
    if (!/^[0-9]{1,2}$/.test(value)) return undefined;
    const seconds = Number(value);
    if (seconds < 1 || seconds > MAX_WAIT_SECONDS) return undefined;
    found = seconds;
  }
  return found;
}

/** The request's wait in ms, when honoured (and then said in the answer), else undefined. */
export function waitOf(req: Request, res: Response): number | undefined {
  const seconds = preferredWait(req.get('Prefer'));
  if (seconds === undefined) return undefined;
  res.set('Preference-Applied', `wait=${seconds}`);
  res.vary('Prefer');
  return seconds * 1_000;
}

/** Prefer: wait=N, as the operations that can wait for the saga document it. */
export const preferParameter = {
  name: 'Prefer',
  in: 'header',
  required: false,
  description:
    'wait=N (1–30): answer once the booking has settled (ended, HELD, or waiting for an operator), or after N seconds with the booking as it stands; the answer then carries Preference-Applied: wait=N. Anything else, or N out of range, is ignored.',
  schema: { type: 'string', examples: ['wait=10'] },
};

export const preferenceApplied = {
  'Preference-Applied': { schema: { type: 'string' }, description: 'wait=N when Prefer: wait=N was honoured.' },
};
