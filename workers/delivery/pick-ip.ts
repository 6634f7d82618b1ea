import { createHash } from 'node:crypto';
import type { PoolIp } from '../../core/index.js';

/**
 * Picks the source IP of a message within its Pool: a weighted choice driven by a hash of the
 * message id, so every retry of one message leaves from the same IP (greylisting passes) and an
 * IP of weight 0.1 carries about a tenth of what an IP of weight 1 carries.
 *
 * With `bindable`, an IP this host cannot send from is never picked: a message whose choice falls
 * on one is placed, by the same hash and weights, among the IPs left, so the messages of the
 * other IPs keep theirs. `undefined` when no IP of the Pool is left.
 */
export function pickIp(ips: readonly PoolIp[], messageId: string): string;
export function pickIp(
  ips: readonly PoolIp[],
  messageId: string,
  bindable: ((ip: string) => boolean) | undefined,
): string | undefined;
export function pickIp(
  ips: readonly PoolIp[],
  messageId: string,
  bindable?: (ip: string) => boolean,
): string | undefined {
  const usable = ips.filter((i) => i.weight > 0);
  if (usable.length === 0) throw new Error('pool has no usable IP');
  const point = createHash('sha256').update(messageId).digest().readUInt32BE(0) / 0x1_0000_0000;
  const first = weightedChoice(usable, point);
  if (!bindable || bindable(first)) return first;
  const left = usable.filter((i) => bindable(i.ip));
  return left.length > 0 ? weightedChoice(left, point) : undefined;
}

/** The IP at `point` (0 ≤ point < 1) of the weights laid end to end. */
function weightedChoice(ips: readonly PoolIp[], point: number): string {
  let rest = point * ips.reduce((sum, i) => sum + i.weight, 0);
  for (const candidate of ips) {
    rest -= candidate.weight;
    if (rest < 0) return candidate.ip;
  }
  const last = ips[ips.length - 1];
  if (!last) throw new Error('unreachable');
  return last.ip;
}
