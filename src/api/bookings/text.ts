// Text a person may write (a cancel's reason, an operator's note): refused at the door when it
// holds what PostgreSQL or a terminal cannot take. Such text goes into a workflow's history and
// state and from there into the read model; PostgreSQL refuses NUL in text and jsonb, and a lone
// surrogate in jsonb, on every retry, so a saga that carried it would wedge on its next write.
import { z } from 'zod';

/**
 * Refused in every text field: the C0 controls (NUL included), DEL, the C1 controls (U+0085 NEL
 * among them) and U+2028 and U+2029 (line breaks that most screens do not show as one), by this
 * pattern, which the OpenAPI document carries; and lone surrogates (half of a UTF-16 pair: not a
 * character, and not valid in UTF-8 or jsonb), by `isWellFormed()`, which the document states in
 * words: a pattern cannot say it in a form both JavaScript and a fuzzer's Python take (a class of
 * surrogates needs the `u` flag, which JSON Schema patterns do not have). A whole pair, an emoji,
 * is one character and passes.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const ONE_LINE_TEXT = /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/;

/**
 * Multi-line text may also hold a line feed and a tab (a note of a few lines), nothing else of the
 * above: a carriage return alone rewrites a terminal's line, so a line break is `\n`.
 */
// eslint-disable-next-line no-control-regex -- as above
export const MULTI_LINE_TEXT = /^[^\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]*$/;

export interface PersonTextOptions {
  /** Most characters (UTF-16 code units, as JSON Schema's maxLength counts them in JavaScript). */
  max: number;
  /** Whether `\n` and `\t` are allowed. Default false: one line. */
  multiline?: boolean;
}

/** A string a person writes, with no control character and no lone surrogate; the document states it as a pattern. */
export function personText({ max, multiline = false }: PersonTextOptions) {
  const allowed = multiline ? 'line feeds and tabs are allowed' : 'one line';
  return z
    .string()
    .max(max)
    .regex(
      multiline ? MULTI_LINE_TEXT : ONE_LINE_TEXT,
      `must not hold control characters or lone surrogates (${allowed})`,
    )
    .refine((text) => text.isWellFormed(), `must not hold control characters or lone surrogates (${allowed})`);
}
