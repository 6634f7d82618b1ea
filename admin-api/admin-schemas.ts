import { isIP } from 'node:net';
import { z } from 'zod';

const name = z.string().trim().min(1).max(100).regex(/^[^\r\n\0]*$/, 'names may not contain CR, LF or NUL');

/** Body of `POST /admin/v1/pools`. */
export const createPoolSchema = z
  .object({
    name,
    ips: z
      .array(
        z.union([
          z.string().refine((ip) => isIP(ip) !== 0, 'not an IPv4 or IPv6 address').transform((ip) => ({ ip, weight: 1 })),
          z.object({
            ip: z.string().refine((ip) => isIP(ip) !== 0, 'not an IPv4 or IPv6 address'),
            weight: z.number().min(0).max(1000).default(1),
          }),
        ]),
      )
      .min(1, 'a pool needs at least one IP')
      .max(256)
      .refine((ips) => new Set(ips.map((i) => i.ip)).size === ips.length, 'IPs must be unique'),
  })
  .strict();

/** Body of `POST /admin/v1/bridges`. */
export const createBridgeSchema = z
  .object({
    name,
    poolId: z.string().min(1).max(100),
    trackOpens: z.boolean().default(false),
    trackClicks: z.boolean().default(false),
  })
  .strict();
