import { describe, expect, it } from 'vitest';
import { BREAKS, EVIL_BCC, expectInert, payloadFor, useInjectionSetup } from '../support/injection-checks.js';

/*
 * Header injection through the REST send API: line breaks and their look-alikes in every field
 * that becomes a header are either refused with a 400 naming the field, or accepted and then
 * provably inert at the receiving end (no injected header, no extra envelope recipient).
 */

describe('header injection via the REST send API', () => {
  const { h, keys, send, arrival, fresh } = useInjectionSetup();

  /** One field that ends up in a header, how to put a payload into it, and the `field` a refusal must name. */
  const FIELDS: {
    name: string;
    field: RegExp;
    build: (payload: string, to: string) => Record<string, unknown>;
    recipients?: (to: string) => string[];
  }[] = [
    { name: 'subject', field: /^subject$/, build: (p, to) => ({ subject: `Hello${p}`, to }) },
    { name: 'from name', field: /^from$/, build: (p, to) => ({ from: `Shop${p} <shop@sender.test>`, to }) },
    { name: 'from quoted name', field: /^from$/, build: (p, to) => ({ from: `"Shop${p}" <shop@sender.test>`, to }) },
    { name: 'from address', field: /^from$/, build: (p, to) => ({ from: `shop@sender.test${p}`, to }) },
    { name: 'to name', field: /^to\[0\]$/, build: (p, to) => ({ to: [`Alice${p} <${to}>`] }) },
    { name: 'to quoted name', field: /^to\[0\]$/, build: (p, to) => ({ to: `"Alice${p}" <${to}>` }) },
    { name: 'to address', field: /^to\[0\]$/, build: (p, to) => ({ to: `${to}${p}` }) },
    {
      name: 'cc name',
      field: /^cc\[0\]$/,
      build: (p, to) => ({ to, cc: [`Carol${p} <cc-${to}>`] }),
      recipients: (to) => [to, `cc-${to}`],
    },
    { name: 'replyTo name', field: /^replyTo$/, build: (p, to) => ({ to, replyTo: `Reply${p} <reply@example.test>` }) },
    { name: 'replyTo address', field: /^replyTo$/, build: (p, to) => ({ to, replyTo: `reply@example.test${p}` }) },
    {
      name: 'custom header value',
      field: /^headers\.X-Custom$/,
      build: (p, to) => ({ to, headers: { 'X-Custom': `value${p}` } }),
    },
    {
      name: 'custom header name',
      field: /^headers\./,
      build: (p, to) => ({ to, headers: { [`X-Custom${p}`]: 'value' } }),
    },
    {
      name: 'attachment filename',
      field: /^attachments\[0\]\.filename$/,
      build: (p, to) => ({
        to,
        attachments: [{ filename: `a${p}.txt`, content: Buffer.from('file').toString('base64') }],
      }),
    },
    {
      name: 'attachment contentType',
      field: /^attachments\[0\]\.contentType$/,
      build: (p, to) => ({
        to,
        attachments: [
          { filename: 'a.txt', content: Buffer.from('file').toString('base64'), contentType: `text/plain${p}` },
        ],
      }),
    },
  ];

  it('refuses each line break in each header field with a 400 naming it, or delivers it inert', async () => {
    const results: { field: string; brk: string; outcome: string }[] = [];
    const accepted: { to: string; recipients: string[]; label: string }[] = [];
    for (const f of FIELDS) {
      for (const [brkName, brk] of Object.entries(BREAKS)) {
        const to = fresh(`${f.name.replace(/\W+/g, '-')}-${brkName}`);
        const label = `${f.name} / ${brkName}`;
        const body = {
          from: 'shop@sender.test',
          subject: 'injection test',
          text: 'hi',
          ...f.build(payloadFor(brk), to),
        };
        const res = await send(keys.plain, body);
        if (res.status === 400) {
          expect(res.body.error.code, label).toBe('VALIDATION_FAILED');
          expect(res.body.error.field, label).toMatch(f.field);
          results.push({ field: f.name, brk: brkName, outcome: 'refused' });
        } else {
          expect(res.status, `${label}: ${JSON.stringify(res.body)}`).toBe(202);
          accepted.push({ to, recipients: f.recipients?.(to) ?? [to], label });
          results.push({ field: f.name, brk: brkName, outcome: 'accepted' });
        }
      }
    }
    // Real line breaks are refused in every field, whatever their form.
    for (const r of results)
      if (['crlf', 'cr', 'lf', 'nul', 'crlf-space', 'lf-tab'].includes(r.brk))
        expect(r, `${r.field} / ${r.brk}`).toMatchObject({ outcome: 'refused' });
    for (const a of accepted) {
      // Every intended recipient gets the message, and each copy is inert.
      for (const r of a.recipients) await arrival(r);
      const copies = h.sink.messages.filter((m) => m.to.some((t) => a.recipients.includes(t)));
      expect(new Set(copies.flatMap((m) => m.to)), a.label).toEqual(new Set(a.recipients));
      for (const m of copies) {
        try {
          await expectInert(m, a.recipients);
        } catch (err) {
          throw new Error(`${a.label}: ${(err as Error).message}\n${m.raw.toString('latin1').slice(0, 1500)}`, {
            cause: err,
          });
        }
      }
    }
    // Nothing was ever offered to the address the payloads tried to add.
    expect([...h.sink.offers.keys()].filter((r) => r.endsWith('@evil.test'))).toEqual([]);
    console.log(
      `[header-injection] ${results.length} cases: ${results.filter((r) => r.outcome === 'refused').length} refused, ${accepted.length} accepted and delivered inert`,
    );
  });

  it('keeps Unicode look-alikes of line breaks as text (subject, names) at the receiving end', async () => {
    for (const brk of ['\u2028', '\u2029', '\u0085']) {
      const to = fresh('lookalike');
      const res = await send(keys.plain, {
        from: `Shop${brk}Team <shop@sender.test>`,
        to: `Alice${brk}Smith <${to}>`,
        subject: `a${brk}b`,
        text: 'hi',
      });
      expect(res.status).toBe(202);
      const parsed = await expectInert(await arrival(to), [to]);
      expect(parsed.subject).toBe(`a${brk}b`);
      expect(parsed.from?.value[0]).toMatchObject({ address: 'shop@sender.test', name: `Shop${brk}Team` });
      const toValue = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
      expect(toValue?.value[0]).toMatchObject({ address: to, name: `Alice${brk}Smith` });
    }
  });

  it('refuses reserved headers and our control headers set through custom headers', async () => {
    for (const name of [
      'Bcc',
      'bcc',
      'To',
      'Cc',
      'From',
      'Subject',
      'Reply-To',
      'Content-Type',
      'Content-Transfer-Encoding',
      'MIME-Version',
      'Message-ID',
      'Return-Path',
      'Sender',
      'Date',
      'X-Bridgemail-Idempotency-Key',
    ]) {
      const res = await send(keys.plain, {
        from: 'shop@sender.test',
        to: fresh('reserved'),
        subject: 's',
        text: 't',
        headers: { [name]: EVIL_BCC },
      });
      expect(res.status, name).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', field: `headers.${name}` });
    }
    // Names with a colon, a space or non-ASCII could end a header name early.
    for (const name of ['X-A: b', 'X-A:', 'X A', 'X-Ä', 'Bcc ', ' Bcc', '']) {
      const res = await send(keys.plain, {
        from: 'shop@sender.test',
        to: fresh('badname'),
        subject: 's',
        text: 't',
        headers: { [name]: 'v' },
      });
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect(res.body.error.field, JSON.stringify(name)).toMatch(/^headers/);
    }
  });
});
