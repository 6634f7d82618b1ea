import { z } from 'zod';

/** Limits of one source IP, whatever the destination. Rates are opt-in, as in Postfix. */
export interface IpLimits {
  /** Messages per second (token bucket, burst = this rate). @defaultValue undefined (no limit) */
  perSecond?: number | undefined;
  /** Messages per sliding hour. @defaultValue undefined (no limit) */
  perHour?: number | undefined;
  /** Concurrent SMTP connections. @defaultValue 50 */
  connections: number;
}

/**
 * Limits of one source IP towards one rollup (provider). Like Postfix's
 * `default_destination_concurrency_limit`, only concurrency is capped by default; a rate is set
 * per provider when one asks for it (IP warm-up).
 */
export interface DestinationLimits {
  /** Messages per second (token bucket, burst = this rate), before the adaptive factor. @defaultValue undefined (no limit) */
  perSecond?: number | undefined;
  /** Concurrent SMTP connections, before the adaptive factor. @defaultValue 20 */
  connections: number;
}

/** How a source IP slows down towards a provider that pushes back. */
export interface AdaptivePolicy {
  /**
   * RegExp sources (matched case-insensitively against `"<code> <text>"` of a 4xx reply) that mean
   * "you are sending too fast". The Yahoo `TSnn` codes and Microsoft/Google 421 4.7.0 texts are the
   * common ones.
   * @defaultValue `['^421', '4\\.7\\.0.*try again later', 'TS0[1-4]', 'too many connections', 'rate limit']`
   */
  patterns: string[];
  /** How long a matching deferral stops all sending from that IP to that rollup. @defaultValue 300000 (5 min) */
  suspendMs: number;
  /** Lowest rate factor the halving reaches. @defaultValue 0.0625 (1/16) */
  floor: number;
  /**
   * Share of the configured rate won back per minute without a matching deferral, counted from the
   * end of the suspension. @defaultValue 0.1
   */
  recoveryPerMinute: number;
}

/** Every limit the delivery shaper enforces. */
export interface ShapingPolicy {
  ip: IpLimits;
  /** Limits of an (IP, rollup) pair whose rollup has no entry in `destinations`. */
  destination: DestinationLimits;
  /**
   * Per-rollup overrides, merged over `destination`, e.g.
   * `{ 'outlook.com': { connections: 5, perSecond: 2 } }`. @defaultValue `{}`
   */
  destinations: Record<string, Partial<DestinationLimits>>;
  adaptive: AdaptivePolicy;
}

const positive = z.number().positive().finite();
const count = z.number().int().positive();

const regexSource = z
  .string()
  .min(1)
  .refine(
    (source) => {
      try {
        new RegExp(source, 'i');
        return true;
      } catch {
        return false;
      }
    },
    { message: 'not a valid regular expression' },
  );

/** Zod schema of {@link ShapingPolicy}: every key optional, defaults filled in, unknown keys refused. */
export const shapingPolicySchema = z.strictObject({
  ip: z
    .strictObject({
      perSecond: positive.optional(),
      perHour: count.optional(),
      connections: count.default(50),
    })
    .prefault({}),
  destination: z
    .strictObject({
      perSecond: positive.optional(),
      connections: count.default(20),
    })
    .prefault({}),
  destinations: z
    .record(
      z
        .string()
        .min(1)
        .transform((k) => k.toLowerCase()),
      z.strictObject({ perSecond: positive.optional(), connections: count.optional() }),
    )
    .default({}),
  adaptive: z
    .strictObject({
      patterns: z
        .array(regexSource)
        .default(['^421', '4\\.7\\.0.*try again later', 'TS0[1-4]', 'too many connections', 'rate limit']),
      suspendMs: z.number().int().nonnegative().default(300_000),
      floor: z
        .number()
        .positive()
        .max(1)
        .default(1 / 16),
      recoveryPerMinute: z.number().positive().max(1).default(0.1),
    })
    .prefault({}),
});

/** {@link shapingPolicySchema} with a {@link ShapingPolicy} out: a rollup's override holds only the limits it sets. */
export const shapingPolicyParser = shapingPolicySchema.transform((parsed): ShapingPolicy => {
  const destinations: Record<string, Partial<DestinationLimits>> = {};
  for (const [rollup, o] of Object.entries(parsed.destinations)) {
    const limits: Partial<DestinationLimits> = {};
    if (o.perSecond !== undefined) limits.perSecond = o.perSecond;
    if (o.connections !== undefined) limits.connections = o.connections;
    destinations[rollup] = limits;
  }
  return { ...parsed, destinations };
});

/** Parses a policy from JSON-like input (config, admin API); throws a `ZodError` listing every bad key. */
export function parseShapingPolicy(input: unknown): ShapingPolicy {
  return shapingPolicyParser.parse(input);
}

/** The policy with every default. */
export const DEFAULT_SHAPING_POLICY: ShapingPolicy = parseShapingPolicy({});

/** The limits of one (IP, rollup) pair: the rollup's override merged over the default. */
export function destinationLimits(policy: ShapingPolicy, rollup: string): DestinationLimits {
  const override = Object.hasOwn(policy.destinations, rollup) ? policy.destinations[rollup] : undefined;
  return {
    perSecond: override?.perSecond ?? policy.destination.perSecond,
    connections: override?.connections ?? policy.destination.connections,
  };
}

/**
 * Whether a reply is an adaptive-backoff signal: a 4xx deferral whose `"<code> <text>"` matches one
 * of the policy's patterns. Replies without a code (connection failures) and 5xx never are.
 */
export function isThrottleReply(
  patterns: readonly RegExp[],
  replyCode: number | undefined,
  replyText: string,
): boolean {
  if (replyCode === undefined || replyCode < 400 || replyCode > 499) return false;
  const text = replyText.trimStart();
  // nodemailer's `response` already starts with the code; a bare text gets it prepended.
  const line = text.startsWith(String(replyCode)) ? text : `${replyCode} ${text}`;
  return patterns.some((p) => p.test(line));
}

/** Compiles the policy's patterns once (case-insensitive). */
export function compilePatterns(policy: ShapingPolicy): RegExp[] {
  return policy.adaptive.patterns.map((source) => new RegExp(source, 'i'));
}
