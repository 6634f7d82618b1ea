import { takeControlHeaders } from './control-headers.js';

/** The per-message tracking ceiling a sender may set with `X-Bridgemail-Track`. */
export type TrackCeiling = 'none' | 'opens' | 'clicks';

/** The strictest valid `X-Bridgemail-Track` value among those given (`none` wins); others are ignored. */
export function parseTrackCeiling(values: readonly string[] | undefined): TrackCeiling | undefined {
  let ceiling: TrackCeiling | undefined;
  for (const v of values ?? []) {
    const value = v.toLowerCase();
    if (value === 'none' || value === 'opens' || value === 'clicks') ceiling = ceiling === 'none' ? 'none' : value;
  }
  return ceiling;
}

/**
 * Removes every `X-Bridgemail-Track` header field from the top-level header of a raw message and
 * returns its value (`none`, `opens` or `clicks`; anything else is ignored). A message without
 * the header comes back as the very same Buffer.
 */
export function extractTrackHeader(raw: Buffer): { raw: Buffer; ceiling: TrackCeiling | undefined } {
  const taken = takeControlHeaders(raw);
  return { raw: taken.raw, ceiling: parseTrackCeiling(taken.values.get('x-bridgemail-track')) };
}
