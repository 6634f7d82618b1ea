/** Why the shaper refused a send; the longest wait of every failed check wins. */
export const SHAPING_REASONS = [
  'ip-rate',
  'ip-hourly',
  'ip-connections',
  'destination-rate',
  'destination-connections',
  'suspended',
] as const;

/** One of {@link SHAPING_REASONS}. */
export type ShapingReason = (typeof SHAPING_REASONS)[number];
