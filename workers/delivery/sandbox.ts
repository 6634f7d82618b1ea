import type { DeliveryResult } from './classify-reply.js';

/**
 * Domain of the mailbox simulator (Amazon SES's is the model). `.test` is reserved (RFC 2606): no
 * such address can exist, so its recipients are simulated from any Bridge, sandbox or live.
 */
export const SIMULATOR_DOMAIN = 'simulator.bridgemail.test';

/** What a simulator address does; every other recipient of a sandbox Bridge is delivered. */
export type SimulatedOutcome = 'delivered' | 'bounce' | 'softbounce' | 'complaint' | 'defer' | 'suppressed';

const LOCAL_PARTS: Readonly<Record<string, SimulatedOutcome>> = {
  success: 'delivered',
  bounce: 'bounce',
  softbounce: 'softbounce',
  complaint: 'complaint',
  defer: 'defer',
  suppressed: 'suppressed',
};

/** How many passes `defer@` is deferred before it is delivered on the next one. */
export const SIMULATED_DEFERRALS = 2;

/** Whether `recipient` is an address of {@link SIMULATOR_DOMAIN} (any local part, any case). */
export function isSimulatorAddress(recipient: string): boolean {
  return recipient.slice(recipient.lastIndexOf('@') + 1).toLowerCase() === SIMULATOR_DOMAIN;
}

/** The outcome a sandboxed recipient gets: its simulator address's, else `delivered`. */
export function simulatedOutcome(recipient: string): SimulatedOutcome {
  if (!isSimulatorAddress(recipient)) return 'delivered';
  return LOCAL_PARTS[recipient.slice(0, recipient.lastIndexOf('@')).toLowerCase()] ?? 'delivered';
}

/**
 * The result a sandboxed recipient gets on attempt `attempt` (1-based), with the reply a real MX
 * would give, so the reply classifier decides hard and soft as it does for real replies. (`suppressed@`
 * never gets here: the pass settles it as suppressed before any attempt.)
 */
export function simulateDelivery(recipient: string, attempt: number): DeliveryResult {
  const mx = SIMULATOR_DOMAIN;
  const delivered: DeliveryResult = {
    recipient,
    status: 'delivered',
    reason: 'accepted',
    replyCode: 250,
    reply: '250 2.0.0 Ok: sandbox, not sent (no MX connection)',
    mx,
  };
  switch (simulatedOutcome(recipient)) {
    case 'bounce':
      return {
        recipient,
        status: 'bounced',
        reason: 'rejected',
        replyCode: 550,
        reply: `550 5.1.1 <${recipient}>: Recipient address rejected: User unknown in virtual mailbox table`,
        stage: 'rcpt',
        mx,
      };
    case 'softbounce':
      return {
        recipient,
        status: 'bounced',
        reason: 'rejected',
        replyCode: 552,
        reply: `552 5.2.2 <${recipient}>: Mailbox full, quota exceeded`,
        stage: 'rcpt',
        mx,
      };
    case 'defer':
      return attempt <= SIMULATED_DEFERRALS
        ? {
            recipient,
            status: 'deferred',
            reason: 'temporary',
            replyCode: 451,
            reply: '451 4.3.0 Temporary failure, try again later (simulated)',
            mx,
          }
        : delivered;
    default:
      return delivered;
  }
}
