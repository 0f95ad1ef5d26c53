import { z } from 'zod';

/** A duration: a whole number and a unit (s, m, h, d), e.g. "14d". */
export const durationText = z.string().regex(/^\d{1,6}[smhd]$/, 'a duration such as "14d", "12h" or "30s"');

export function durationMs(text: string): number {
  const unit = text.at(-1)!;
  const value = Number.parseInt(text.slice(0, -1), 10);
  const unitMs = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit];
  if (unitMs === undefined) throw new RangeError(`not a duration: ${text}`);
  return value * unitMs;
}
