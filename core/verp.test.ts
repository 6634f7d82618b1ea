import { describe, expect, it } from 'vitest';
import { recipientHash, VerpAddresses } from './verp.js';

const verp = new VerpAddresses(Buffer.alloc(32, 7), 'bounces', 'bounce.example');
const id = 'msg_01a20fa000001122334455667788';

describe('VerpAddresses', () => {
  it('names the message and the recipient, and parses back', () => {
    const address = verp.address(id, 'Bob@Example.TEST');
    expect(address).toMatch(/^bounces\+[a-z2-7]{37}@bounce\.example$/);
    expect(address.split('@')[0]!.length).toBeLessThanOrEqual(64);
    expect(verp.parse(address)).toEqual({ messageId: id, recipientHash: recipientHash('bob@example.test') });
  });

  it('survives case folding by remote MTAs', () => {
    expect(verp.parse(verp.address(id, 'x@y.test').toUpperCase())?.messageId).toBe(id);
  });

  it('gives each recipient its own address', () => {
    expect(verp.address(id, 'a@y.test')).not.toBe(verp.address(id, 'b@y.test'));
  });

  it('refuses altered, foreign and malformed addresses', () => {
    const address = verp.address(id, 'x@y.test');
    const local = address.split('@')[0]!;
    const flipped = `${local.slice(0, -1)}${local.endsWith('a') ? 'b' : 'a'}@bounce.example`;
    expect(verp.parse(flipped)).toBeUndefined();
    expect(verp.parse(address.replace('bounce.example', 'other.example'))).toBeUndefined();
    expect(new VerpAddresses(Buffer.alloc(32, 8), 'bounces', 'bounce.example').parse(address)).toBeUndefined();
    expect(verp.parse('bounces+abc@bounce.example')).toBeUndefined();
    expect(verp.parse('someone@bounce.example')).toBeUndefined();
    expect(() => verp.address('not-an-id', 'x@y.test')).toThrow();
  });
});
