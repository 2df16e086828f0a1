// Type helpers the step table and the activity factory share.

/** The intersection of a union's members: `A | B` becomes `A & B`. */
export type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
