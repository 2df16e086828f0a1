// Money as the API spells it: minor units as a decimal string. Pure: the API, each service's
// view block (src/activities/<service>/view.ts) and the Web UI's summaries (./words.ts) use it.

/** Money in minor units as a decimal string: 76000 → "760.00". */
export function money(cents: number | null | undefined): string | undefined {
  return cents === null || cents === undefined ? undefined : (cents / 100).toFixed(2);
}
