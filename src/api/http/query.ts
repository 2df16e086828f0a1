// Query strings, as zod reads them: an integer parameter takes only its canonical spelling.
import { z } from 'zod';

/** An integer query parameter: only its canonical decimal spelling ("05", "1e1", " 5" are not integers here). */
export const queryIntIn = (min: number, max: number) =>
  z.preprocess((v) => (typeof v === 'string' && /^(?:0|-?[1-9][0-9]{0,15})$/.test(v) ? Number(v) : v), z.int().min(min).max(max));
export const queryInt = (min: number, max: number, fallback: number) => queryIntIn(min, max).default(fallback);
