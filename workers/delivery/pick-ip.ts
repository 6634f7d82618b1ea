import { createHash } from 'node:crypto';
import type { PoolIp } from '../../core/index.js';

/**
 * Picks the source IP of a message within its Pool: a weighted choice driven by a hash of the
 * message id, so every retry of one message leaves from the same IP (greylisting passes) and an
 * IP of weight 0.1 carries about a tenth of what an IP of weight 1 carries.
 */
export function pickIp(ips: readonly PoolIp[], messageId: string): string {
  const usable = ips.filter((i) => i.weight > 0);
  if (usable.length === 0) throw new Error('pool has no usable IP');
  const total = usable.reduce((sum, i) => sum + i.weight, 0);
  const digest = createHash('sha256').update(messageId).digest();
  let point = (digest.readUInt32BE(0) / 0x1_0000_0000) * total;
  for (const candidate of usable) {
    point -= candidate.weight;
    if (point < 0) return candidate.ip;
  }
  const last = usable[usable.length - 1];
  if (!last) throw new Error('unreachable');
  return last.ip;
}
