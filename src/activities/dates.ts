/** A YYYY-MM-DD string as the UTC midnight that PostgreSQL DATE columns round-trip through. */
export function toDbDate(isoDate: string): Date {
  return new Date(`${isoDate}T00:00:00.000Z`);
}

export function fromDbDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function nightsBetween(checkIn: string, checkOut: string): number {
  return Math.round((toDbDate(checkOut).getTime() - toDbDate(checkIn).getTime()) / 86_400_000);
}
