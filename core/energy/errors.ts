// The one error type of the energy controllers: a bad request, completion, telemetry sample or
// command is refused with a code a flow can switch on and a sentence a person can act on.

export type EnergyErrorCode =
  | 'ERR_MISSING_ID'
  | 'ERR_BAD_TOKENS'
  | 'ERR_UNKNOWN_INSTANCE'
  | 'ERR_CLOCK_RANGE'
  | 'ERR_BAD_TELEMETRY'
  | 'ERR_BAD_LOAD'
  | 'ERR_BAD_CONFIG';

export class EnergyInputError extends Error {
  constructor(readonly code: EnergyErrorCode, message: string) {
    super(message);
    this.name = 'EnergyInputError';
  }
}

/** A finite number ≥ 0, or an EnergyInputError naming `what`. */
export function nonNegative(value: unknown, what: string, code: EnergyErrorCode): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new EnergyInputError(code, `${what} must be a finite number ≥ 0, got ${describe(value)}`);
  }
  return value;
}

/** A request or instance id: a non-empty string or a finite number. */
export function requireId(value: unknown, what: string): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value;
  throw new EnergyInputError('ERR_MISSING_ID', `${what} needs an id (non-empty string or number), got ${describe(value)}`);
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
