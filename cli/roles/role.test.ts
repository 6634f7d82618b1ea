import { describe, expect, it } from 'vitest';
import { parseRoles } from './role.js';

describe('parseRoles', () => {
  it('is every role without --role', () => {
    expect(parseRoles([])).toEqual(['all']);
  });
  it('reads a comma-separated list', () => {
    expect(parseRoles(['--role', 'ingress, worker'])).toEqual(['ingress', 'worker']);
  });
  it('answers the first unknown name', () => {
    expect(parseRoles(['--role', 'ingress,mailer,other'])).toBe('mailer');
    expect(parseRoles(['--role'])).toBe('');
  });
});
