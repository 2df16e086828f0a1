// Who the page is: a token from the dev issuer (POST /dev/token, `npm run dev` only), kept in
// localStorage, never in a URL. The page starts as a demo customer and can switch to another
// customer or to an operator (scope bookings:operate).
const KEY = 'trip-booking.session';
export const DEMO_CUSTOMER = 'demo-customer';
export const OPERATOR_SCOPE = 'bookings:operate';

export interface Session {
  sub: string;
  operator: boolean;
  token: string;
  /** ms since the epoch */
  expiresAt: number;
}

export function currentSession(): Session | undefined {
  try {
    const session = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Session | null;
    return session && session.expiresAt > Date.now() + 60_000 ? session : undefined;
  } catch {
    return undefined;
  }
}

/** A token for `sub` from the dev issuer; throws when there is none (a real issuer is configured). */
export async function signIn(sub: string, operator: boolean): Promise<Session> {
  const res = await fetch('/dev/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ sub, ...(operator ? { scope: OPERATOR_SCOPE } : {}) }),
  });
  const body = (await res.json().catch(() => undefined)) as
    { access_token?: string; expires_in?: number; error?: { message?: string } } | undefined;
  if (!res.ok || !body?.access_token) throw new Error(body?.error?.message ?? `sign-in failed (${res.status})`);
  const session: Session = {
    sub,
    operator,
    token: body.access_token,
    expiresAt: Date.now() + (body.expires_in ?? 3600) * 1000,
  };
  localStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export function authHeaders(): Record<string, string> {
  const session = currentSession();
  return session ? { authorization: `Bearer ${session.token}` } : {};
}
