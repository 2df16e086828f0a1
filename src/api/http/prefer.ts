// Prefer: wait=N (RFC 7240 §4.3): how long a client is willing to wait for the outcome. Only wait
// is honoured, only as 1–30 whole seconds; anything else in the header, malformed or not, is
// ignored, as the RFC asks of a preference a server does not support.

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
