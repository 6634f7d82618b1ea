import { describe, expect, it } from 'vitest';
import { loadFixtures } from '../../test/support/bounce-variants.js';
import { classifyMessage } from './classify.js';

// The team-written samples of test/fixtures/bounces: one per MTA family and per kind of answer.
const fixtures = loadFixtures();

describe('classifyMessage on the team-written samples', () => {
  it('has the families and answers the samples are meant to cover', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(17);
    const kinds = new Set(fixtures.map((f) => f.expect.kind));
    expect(kinds).toEqual(new Set(['bounce', 'complaint', 'none']));
    expect(fixtures.some((f) => f.expect.hard)).toBe(true);
    expect(fixtures.some((f) => f.expect.kind === 'bounce' && !f.expect.hard)).toBe(true);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s', async (_name, fixture) => {
    const got = await classifyMessage(fixture.raw);
    expect(got).toMatchObject(fixture.expect);
    if (fixture.expect.replyCode === undefined) expect(got.replyCode).toBeUndefined();
    if (fixture.expect.delayed === undefined) expect(got.delayed).toBeUndefined();
  });

  it.each(fixtures.filter((f) => f.diagnostic.length > 0).map((f) => [f.name, f] as const))(
    '%s quotes its diagnostic verbatim',
    (_name, fixture) => {
      for (const english of fixture.diagnostic) expect(fixture.raw).toContain(english);
    },
  );
});
