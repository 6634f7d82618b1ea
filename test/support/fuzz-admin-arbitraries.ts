import fc from 'fast-check';
import { EVENT_TYPES } from '../../core/index.js';
import type { Case } from './fuzz-runner.js';
import { hostileString, wrongType, field, extraKeys, rarely, withExtras, garbageBody } from './fuzz-values.js';
import { goodAddress, mailbox, contentTypes } from './fuzz-send-arbitraries.js';

// The admin-API request generators of test/integration/fuzz-http.test.ts.

/** Known ids the admin fuzz aims at, besides random ones. */
export interface AdminTargets {
  poolId: string;
  bridgeId: string;
  hookBridgeId: string;
}

/** Path segments: the known id, random ids, hostile text (percent-encoded) and raw malformed escapes. */
export const pathId = (known: string) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(known) },
    { weight: 1, arbitrary: fc.stringMatching(/^br_[A-Za-z0-9]{1,30}$/) },
    {
      weight: 2,
      arbitrary: hostileString.map(
        (s) =>
          encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))
            .slice(0, 1000)
            .replace(/%[0-9A-F]?$/, '') || '%20',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '%00',
        '%E0%A4%A',
        '%',
        '%zz',
        '..',
        '%2e%2e',
        '%2F',
        `${known}%00`,
        `${known}%0d%0a`,
        'x'.repeat(2000),
      ),
    },
  );

export const adminName = fc.oneof(
  { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 20 }).map((s) => `fz ${s}`) },
  { weight: 3, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constantFrom(' ', '', 'x'.repeat(100), 'x'.repeat(101)) },
);

/** Pool IPs: a small finite set (so at most a few dozen Pools get created), used ones, and hostile text. */
export const poolIp = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 100, max: 119 }).map((n) => `127.0.0.${n}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('127.0.0.2', '::1', '::ffff:127.0.0.50', 'fe80::1%eth0', '0.0.0.0', '255.255.255.255'),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '127.0.0.256',
      '127.0.0.0100',
      '0x7f.1',
      '127.1',
      '1.2.3',
      '1.2.3.4.5',
      ':::',
      '[::1]',
      ' 127.0.0.100',
      '127.0.0.100\n',
      '',
    ),
  },
  { weight: 2, arbitrary: hostileString },
);
export const weight = field(
  fc.oneof(fc.integer({ min: -5, max: 1005 }), fc.double(), fc.constantFrom(0, 1000, 1000.5, -0)),
);

export const poolBody = fc
  .tuple(
    fc.record(
      {
        name: field(adminName),
        ips: field(
          fc.oneof(
            {
              weight: 5,
              arbitrary: fc.array(
                fc.oneof(poolIp, fc.record({ ip: field(poolIp), weight }, { requiredKeys: [] }), wrongType),
                { maxLength: 4 },
              ),
            },
            { weight: 1, arbitrary: fc.constant(Array.from({ length: 257 }, (_, i) => `10.9.${i >> 8}.${i & 255}`)) },
          ),
        ),
      },
      { requiredKeys: [] },
    ),
    rarely(extraKeys, 8),
  )
  .map(([o, e]) => withExtras(o, e));

export const bridgeBody = (t: AdminTargets) =>
  fc
    .tuple(
      fc.record(
        {
          name: field(adminName),
          poolId: field(
            fc.oneof(
              { weight: 3, arbitrary: fc.constant(t.poolId) },
              { weight: 1, arbitrary: fc.stringMatching(/^pool_[a-z0-9]{1,20}$/) },
              { weight: 2, arbitrary: hostileString },
            ),
          ),
          trackOpens: field(fc.boolean()),
          trackClicks: field(fc.boolean()),
        },
        { requiredKeys: [] },
      ),
      rarely(extraKeys, 8),
    )
    .map(([o, e]) => withExtras(o, e));

export const trackingBaseUrl = fc.oneof(
  fc.constant(null),
  fc.constantFrom(
    'https://t.example.test',
    'http://t.example.test/base',
    'javascript:alert(1)',
    'https://t.example.test/?q=1',
    'https://t.example.test/#x',
    'https://',
    'https://a b',
    'http://127.0.0.1:1/',
  ),
  fc.webUrl(),
  hostileString,
);
export const bridgePatchBody = fc
  .tuple(
    fc.record(
      {
        name: field(adminName),
        trackOpens: field(fc.boolean()),
        trackClicks: field(fc.boolean()),
        trackingBaseUrl: field(trackingBaseUrl),
        poolId: field(hostileString),
      },
      { requiredKeys: [] },
    ),
    rarely(extraKeys, 8),
  )
  .map(([o, e]) => withExtras(o, e))
  // poolId is refused outright; keep it rare so the other fields get exercised.
  .chain((o) =>
    fc
      .boolean()
      .map((keepPool) => (keepPool ? o : Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'poolId')))),
  );

export const suppressionBody = (t: AdminTargets) =>
  fc
    .tuple(
      fc.record(
        {
          address: field(
            fc.oneof(
              { weight: 3, arbitrary: goodAddress },
              { weight: 2, arbitrary: mailbox },
              { weight: 1, arbitrary: fc.constant(`${'a'.repeat(64)}@${'b'.repeat(250)}.test`) },
            ),
          ),
          bridgeId: fc.oneof(
            fc.constant(null),
            fc.constant(t.bridgeId),
            fc.stringMatching(/^br_[a-z0-9]{1,20}$/),
            hostileString,
            wrongType,
          ),
          reason: field(fc.oneof(fc.constantFrom('manual', 'hard_bounce', 'complaint', 'a.b-c_d'), hostileString)),
        },
        { requiredKeys: [] },
      ),
      rarely(extraKeys, 8),
    )
    .map(([o, e]) => withExtras(o, e));

/**
 * Webhook URLs: public IP literals (accepted; the Bridge they hang on sends no mail, so nothing is
 * ever delivered to them), private and loopback ones (refused), unresolvable names, other schemes.
 */
export const webhookUrl = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom('http', 'https'),
        fc.constantFrom('93.184.216.34', '[2606:2800:220:1:248:1893:25c8:1946]', '1.1.1.1'),
        fc.webPath(),
      )
      .map(([s, h, p]) => `${s}://${h}${p}`),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'http://127.0.0.1/hook',
      'http://localhost/',
      'http://10.0.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/',
      'http://0x7f.1/',
      'http://2130706433/',
      'http://[::ffff:127.0.0.1]/',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'ftp://93.184.216.34/',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'gopher://1.1.1.1/',
      'http://',
      'http:///x',
      '//1.1.1.1/',
      'http://fuzz.invalid/',
      `http://1.1.1.1/${'a'.repeat(2000)}`,
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .webUrl({ withQueryParameters: true, withFragments: true })
      .map((u) => u.replace(/\/\/[^/:]+/, '//fuzz-host.invalid')),
  },
  { weight: 2, arbitrary: hostileString },
);
export const webhookBody = fc
  .tuple(
    fc.record(
      {
        url: field(webhookUrl),
        eventTypes: field(
          fc.oneof(
            { weight: 4, arbitrary: fc.subarray([...EVENT_TYPES]) },
            {
              weight: 1,
              arbitrary: fc.array(fc.oneof(fc.constantFrom(...EVENT_TYPES), hostileString), { maxLength: 4 }),
            },
            { weight: 1, arbitrary: fc.constant([...EVENT_TYPES, ...EVENT_TYPES]) },
          ),
        ),
      },
      { requiredKeys: [] },
    ),
    rarely(extraKeys, 8),
  )
  .map(([o, e]) => withExtras(o, e));

export const adminCases = (adminToken: string, t: AdminTargets): fc.Arbitrary<Case> => {
  const json = (method: string, path: fc.Arbitrary<string>, plausible: fc.Arbitrary<Record<string, unknown>>) =>
    fc
      .tuple(
        path,
        fc.oneof(
          { weight: 3, arbitrary: plausible.map((o) => JSON.stringify(o)) },
          { weight: 1, arbitrary: garbageBody },
        ),
        contentTypes,
      )
      .map(([p, body, contentType]): Case => ({
        method,
        path: p,
        headers: { authorization: `Bearer ${adminToken}`, ...(contentType ? { 'content-type': contentType } : {}) },
        body,
      }));
  return fc.oneof(
    json('POST', fc.constant('/admin/v1/pools'), poolBody),
    json('POST', fc.constant('/admin/v1/bridges'), bridgeBody(t)),
    json(
      'PATCH',
      pathId(t.bridgeId).map((id) => `/admin/v1/bridges/${id}`),
      bridgePatchBody,
    ),
    json('POST', fc.constant('/admin/v1/suppressions'), suppressionBody(t)),
    json(
      'POST',
      pathId(t.hookBridgeId).map((id) => `/admin/v1/bridges/${id}/webhooks`),
      webhookBody,
    ),
  );
};

// ---------------------------------------------------------------------------------------------
