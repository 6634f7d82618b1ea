import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, type SourceAddressProbe } from '../../core/index.js';
import { SourceIps, type UnbindableIp } from './source-ips.js';

/** A SourceIps whose probe answers from `present` (the host's addresses), counting probes, with its log lines. */
function tracker(present: Set<string>) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    }),
  });
  const probes: string[] = [];
  const changes: UnbindableIp[][] = [];
  const probe = async (ip: string): Promise<SourceAddressProbe> => {
    probes.push(ip);
    return present.has(ip) ? { bindable: true } : { bindable: false, code: 'EADDRNOTAVAIL' };
  };
  const ips = new SourceIps({ logger, probe, onChange: (u) => changes.push(u) });
  return { ips, probes, changes, lines };
}

const pool = (id: string, ...ips: string[]) => ({ id, ips: ips.map((ip) => ({ ip, weight: 1 })) });

describe('SourceIps', () => {
  it('reports the IPs of known Pools it cannot bind, and logs one error per IP, not per check', async () => {
    const { ips, changes, lines } = tracker(new Set(['127.0.0.2']));
    await ips.refreshAll([pool('p1', '127.0.0.2', '192.0.2.10'), pool('p2', '192.0.2.11')]);
    expect(ips.bindable('127.0.0.2')).toBe(true);
    expect(ips.bindable('192.0.2.10')).toBe(false);
    expect(ips.report()).toEqual([
      { ip: '192.0.2.10', poolIds: ['p1'], code: 'EADDRNOTAVAIL' },
      { ip: '192.0.2.11', poolIds: ['p2'], code: 'EADDRNOTAVAIL' },
    ]);
    await ips.refreshAll([pool('p1', '127.0.0.2', '192.0.2.10'), pool('p2', '192.0.2.11')]);
    const errors = lines.filter((l) => l.level === 50);
    expect(errors.map((l) => l.ip)).toEqual(['192.0.2.10', '192.0.2.11']);
    expect(changes).toHaveLength(1);
  });

  it('follows Pool changes: an IP added is probed, a Pool gone no longer reported, an IP that came back is used again', async () => {
    const present = new Set(['127.0.0.2']);
    const { ips, probes, changes, lines } = tracker(present);
    await ips.refreshAll([pool('p1', '127.0.0.2')]);
    await ips.refreshPool('p1', pool('p1', '127.0.0.2', '192.0.2.10'));
    expect(ips.report()).toEqual([{ ip: '192.0.2.10', poolIds: ['p1'], code: 'EADDRNOTAVAIL' }]);
    present.add('192.0.2.10');
    await ips.refreshAll([pool('p1', '127.0.0.2', '192.0.2.10')]);
    expect(ips.bindable('192.0.2.10')).toBe(true);
    expect(lines.some((l) => l.level === 30 && l.ip === '192.0.2.10')).toBe(true);
    ips.markFailed('192.0.2.10', 'EADDRNOTAVAIL');
    expect(ips.bindable('192.0.2.10')).toBe(false);
    await ips.refreshPool('p1', undefined);
    expect(ips.report()).toEqual([]);
    expect(changes.at(-1)).toEqual([]);
    expect(probes.filter((p) => p === '192.0.2.10')).toHaveLength(2);
  });

  it('probes a Pool met before its announcement once, however many jobs meet it at once', async () => {
    const { ips, probes } = tracker(new Set(['127.0.0.3']));
    await Promise.all(
      Array.from({ length: 10 }, () => ips.ensure(pool('p9', '127.0.0.3', '192.0.2.12')) ?? Promise.resolve()),
    );
    expect(probes.sort()).toEqual(['127.0.0.3', '192.0.2.12']);
    expect(ips.ensure(pool('p9', '127.0.0.3', '192.0.2.12'))).toBeUndefined();
    expect(ips.bindable('192.0.2.12')).toBe(false);
  });
});
