import { describe, it, expect } from 'vitest';
import { classifyReply } from './classify-reply.js';

describe('classifyReply', () => {
  it('marks 2xx replies delivered', () => {
    for (const code of [200, 250, 251, 299])
      expect(classifyReply(code)).toEqual({ status: 'delivered', reason: 'accepted' });
  });

  it('defers 4xx replies', () => {
    for (const code of [400, 421, 450, 451, 452, 499]) {
      expect(classifyReply(code)).toEqual({ status: 'deferred', reason: 'temporary' });
    }
  });

  it('bounces 5xx replies', () => {
    for (const code of [500, 550, 552, 554, 599])
      expect(classifyReply(code)).toEqual({ status: 'bounced', reason: 'rejected' });
  });

  it('defers when there was no reply at all (connection lost, timeout)', () => {
    expect(classifyReply(undefined)).toEqual({ status: 'deferred', reason: 'connection' });
  });

  it('defers codes outside the 2xx/4xx/5xx classes rather than deciding on them', () => {
    for (const code of [0, 199, 354, 600, 999]) {
      expect(classifyReply(code)).toEqual({ status: 'deferred', reason: 'unexpected-reply' });
    }
  });
});
