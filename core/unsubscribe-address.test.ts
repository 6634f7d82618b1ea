import { describe, expect, it } from 'vitest';
import { UnsubscribeAddresses } from './unsubscribe-address.js';
import { recipientHash, VerpAddresses } from './verp.js';

const addresses = new UnsubscribeAddresses(Buffer.alloc(32, 7), 'bounce.example');
const id = 'msg_01a20fa000001122334455667788';

describe('UnsubscribeAddresses', () => {
  it('names the message and the recipient, shows neither, and parses back', () => {
    const address = addresses.address(id, 'Bob@Example.TEST');
    expect(address).toMatch(/^unsub-[a-z2-7]{42}@bounce\.example$/);
    expect(address.split('@')[0]!.length).toBeLessThanOrEqual(64);
    expect(address).not.toContain('01a20fa0');
    expect(address).not.toContain(recipientHash('bob@example.test'));
    expect(addresses.parse(address)).toEqual({ messageId: id, recipientHash: recipientHash('bob@example.test') });
  });

  it('survives case folding by remote MTAs and gives each recipient its own address', () => {
    expect(addresses.parse(addresses.address(id, 'x@y.test').toUpperCase())?.messageId).toBe(id);
    expect(addresses.address(id, 'a@y.test')).not.toBe(addresses.address(id, 'b@y.test'));
  });

  it('refuses altered, foreign, malformed and VERP addresses', () => {
    const address = addresses.address(id, 'x@y.test');
    const local = address.split('@')[0]!;
    // Every character changed to every other one, the last one's spare bits included.
    for (let i = 'unsub-'.length; i < local.length; i++) {
      for (const c of 'abcdefghijklmnopqrstuvwxyz234567') {
        if (c === local[i]) continue;
        const changed = `${local.slice(0, i)}${c}${local.slice(i + 1)}@bounce.example`;
        expect(addresses.parse(changed), `character ${i} changed to ${c}`).toBeUndefined();
      }
    }
    expect(addresses.parse(address.replace('bounce.example', 'other.example'))).toBeUndefined();
    expect(new UnsubscribeAddresses(Buffer.alloc(32, 8), 'bounce.example').parse(address)).toBeUndefined();
    expect(addresses.parse('unsub-abc@bounce.example')).toBeUndefined();
    expect(addresses.parse('unsub-@bounce.example')).toBeUndefined();
    expect(addresses.parse('no-at-sign')).toBeUndefined();
    const verp = new VerpAddresses(Buffer.alloc(32, 7), 'unsub', 'bounce.example');
    expect(addresses.parse(verp.address(id, 'x@y.test'))).toBeUndefined();
    expect(verp.parse(address)).toBeUndefined();
  });
});
