import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { submissionTransport } from '../support/smtp-client.js';
import { waitFor } from '../support/wait.js';

const SPOOL_BYTES = 1024 * 1024;
const LARGE = 'Lorem ipsum dolor sit amet. '.repeat(6000); // ~165 KB: spooled (threshold 64 KiB)

/**
 * Fault: the spool (where bodies above the threshold wait for delivery) is a 1 MiB tmpfs that we
 * fill up. New large messages are refused with "try later" (REST 507 SPOOL_FULL, SMTP 452) and
 * nothing of them is queued; messages already spooled are still delivered; small messages (kept in
 * Redis) are still accepted; once there is room again, large messages are accepted again.
 */
describe('fault: disk full in the spool', () => {
  const spoolDir = mkdtempSync(join(tmpdir(), 'bridgemail-spool-full-'));
  // Registered before the harness: the tmpfs is mounted before the platform starts, and (after
  // hooks run in reverse) unmounted after it stopped.
  beforeAll(() => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SPOOL_BYTES}`, 'tmpfs', spoolDir]);
  });
  afterAll(async () => {
    execFileSync('umount', [spoolDir]);
    await rm(spoolDir, { recursive: true, force: true });
  });
  // "held" recipients are deferred five times (~6 s of backoff), so their spooled bodies stay while the disk fills.
  const h = useHarness(
    { BRIDGEMAIL_SPOOL_DIR: spoolDir, BRIDGEMAIL_SPOOL_THRESHOLD_BYTES: String(64 * 1024) },
    (rcpt, n) => (rcpt.startsWith('held') && n <= 5 ? { code: 451, message: '4.3.2 come back later' } : undefined),
  );

  it('refuses new large messages with 507 / 452, keeps delivering the spooled ones, and recovers', async () => {
    const pool = await h.platform.createPool('spool', ['127.0.0.2']);
    const bridge = await h.platform.createBridge('spool', pool.id);
    const send = (to: string, text: string) =>
      h.platform.send(bridge.apiKey, { from: 'app@sender.test', to, subject: 'spool', text });

    // Two large messages already spooled, their first attempts deferred.
    for (const to of ['held-1@spool.example', 'held-2@spool.example']) expect((await send(to, LARGE)).status).toBe(202);
    expect((await readdir(spoolDir)).filter((f) => !f.startsWith('filler')).length).toBeGreaterThanOrEqual(2);

    // Fill the rest of the disk.
    const filler = Buffer.alloc(16 * 1024, 1);
    for (let i = 0; ; i++) {
      try {
        await writeFile(join(spoolDir, `filler-${i}`), filler);
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
        break;
      }
    }

    const queuedBefore = await h.platform.queuedJobs(pool.id);
    const refused = await send('new-large@spool.example', LARGE);
    expect(refused.status).toBe(507);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('SPOOL_FULL');
    const smtp = await submissionTransport(h.platform.ports.smtp, {
      user: bridge.smtp.username,
      pass: bridge.smtp.password,
    })
      .sendMail({ from: 'app@sender.test', to: 'new-large-smtp@spool.example', subject: 'spool', text: LARGE })
      .then(
        () => undefined,
        (err: { responseCode?: number; response?: string }) => err,
      );
    expect(smtp?.responseCode).toBe(452);
    expect(smtp?.response).toMatch(/^452 4\.3\.1 /);
    expect(await h.platform.queuedJobs(pool.id)).toBe(queuedBefore);
    // The spooled messages were still waiting (deferred) while the disk was full.
    expect(h.sink.messages.some((m) => m.to.some((r) => r.startsWith('held')))).toBe(false);

    // Small messages live in Redis: still accepted and delivered.
    expect((await send('small@spool.example', 'small body')).status).toBe(202);
    // The spooled ones are delivered once their MX takes them.
    await waitFor(
      () =>
        ['held-1@spool.example', 'held-2@spool.example', 'small@spool.example'].every((r) =>
          h.sink.messages.some((m) => m.to.includes(r)),
        ),
      30_000,
      'spooled and small messages delivered',
    );
    const held = h.sink.messages.find((m) => m.to.includes('held-1@spool.example'));
    expect(held?.raw.toString()).toContain('Lorem ipsum dolor sit amet.');
    expect(h.sink.messages.some((m) => m.to.some((r) => r.startsWith('new-large')))).toBe(false);

    // Room again: large messages are accepted.
    for (const f of (await readdir(spoolDir)).filter((n) => n.startsWith('filler-'))) await rm(join(spoolDir, f));
    expect((await send('later-large@spool.example', LARGE)).status).toBe(202);
    await waitFor(
      () => h.sink.messages.some((m) => m.to.includes('later-large@spool.example')),
      30_000,
      'large message after recovery',
    );
  }, 120_000);
});
