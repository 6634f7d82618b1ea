import { describe, expect, it } from 'vitest';
import { classifyReply } from './classify-reply.js';
import { isSimulatorAddress, simulatedOutcome, simulateDelivery, SIMULATOR_DOMAIN } from './sandbox.js';

describe('mailbox simulator', () => {
  it('recognises its domain in any case, and nothing else', () => {
    expect(isSimulatorAddress(`bounce@${SIMULATOR_DOMAIN}`)).toBe(true);
    expect(isSimulatorAddress('Bounce@Simulator.BridgeMail.Test')).toBe(true);
    expect(isSimulatorAddress(`bounce@x.${SIMULATOR_DOMAIN}`)).toBe(false);
    expect(isSimulatorAddress(`${SIMULATOR_DOMAIN}@example.com`)).toBe(false);
    expect(simulatedOutcome('bounce@example.com')).toBe('delivered');
    expect(simulatedOutcome('SoftBounce@Simulator.BridgeMail.Test')).toBe('softbounce');
    expect(simulatedOutcome(`anything@${SIMULATOR_DOMAIN}`)).toBe('delivered');
  });

  it('answers with replies the reply classifier reads as their outcome', () => {
    for (const [local, attempt, status] of [
      ['success', 1, 'delivered'],
      ['bounce', 1, 'bounced'],
      ['softbounce', 1, 'bounced'],
      ['complaint', 1, 'delivered'],
      ['defer', 1, 'deferred'],
      ['defer', 2, 'deferred'],
      ['defer', 3, 'delivered'],
    ] as const) {
      const r = simulateDelivery(`${local}@${SIMULATOR_DOMAIN}`, attempt);
      expect({ local, attempt, status: r.status }).toEqual({ local, attempt, status });
      expect(classifyReply(r.replyCode).status).toBe(status);
      expect(r.reply.startsWith(String(r.replyCode))).toBe(true);
    }
  });
});
