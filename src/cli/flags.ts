// The one parser of numeric command-line flags: every number a user types goes through here, so
// "--n abc" or "--steps 1.5" is an error naming the flag, never a NaN that runs.
import { UsageError } from "./errors.ts";

export interface NumberRule {
  int?: boolean;
  min?: number;
  max?: number;
}

/** The flag's number, or undefined when it was not given (and has no default). */
export function numberFlag(values: Record<string, unknown>, name: string, opts: NumberRule = {}) {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  const bad =
    String(raw).trim() === "" ||
    !Number.isFinite(n) ||
    (opts.int && !Number.isInteger(n)) ||
    (opts.min !== undefined && n < opts.min) ||
    (opts.max !== undefined && n > opts.max);
  if (bad) {
    const range = [
      opts.min !== undefined ? `>= ${opts.min}` : "",
      opts.max !== undefined ? `<= ${opts.max}` : "",
    ]
      .filter(Boolean)
      .join(" and ");
    throw new UsageError(
      `--${name}: expected ${opts.int ? "an integer" : "a number"}${range ? ` ${range}` : ""}, got "${raw}"`,
    );
  }
  return n;
}

/** The flag's number; the flag must have a value (given or a parseArgs default). */
export function numberOf(values: Record<string, unknown>, name: string, opts: NumberRule = {}): number {
  const n = numberFlag(values, name, opts);
  if (n === undefined) throw new UsageError(`--${name} is required`);
  return n;
}
