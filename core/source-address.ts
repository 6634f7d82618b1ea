import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';

/** Outcome of {@link probeSourceAddress}: the address can be bound here, or the bind's error code. */
export type SourceAddressProbe = { bindable: true } | { bindable: false; code: string };

/**
 * Code of the warning the admin API gives for a Pool IP that is not an address of the host it runs
 * on (stable, like an error code: clients may branch on it).
 */
export const IP_NOT_ON_HOST = 'IP_NOT_ON_HOST';

/** A warning in a successful admin answer: the change was made, but something needs attention. */
export interface AdminWarning {
  code: typeof IP_NOT_ON_HOST;
  ip: string;
  message: string;
}

/**
 * Whether this host can send from `ip`: binds a UDP socket to (ip, port 0) and closes it. Nothing
 * is sent and nothing connects, so the check never leaves the host; a bind fails with
 * `EADDRNOTAVAIL` for an address no interface of this host has (all of 127.0.0.0/8 is on `lo`).
 */
export function probeSourceAddress(ip: string): Promise<SourceAddressProbe> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(ip) ? 'udp6' : 'udp4');
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.close();
      resolve({ bindable: false, code: err.code ?? 'EBIND' });
    });
    socket.bind({ address: ip, port: 0, exclusive: true }, () => {
      socket.close();
      resolve({ bindable: true });
    });
  });
}

/** Warnings for the IPs of `ips` this host cannot bind (admin answers; workers check on their own host). */
export async function sourceAddressWarnings(
  ips: readonly string[],
  probe = probeSourceAddress,
): Promise<AdminWarning[]> {
  const results = await Promise.all(ips.map(async (ip) => ({ ip, result: await probe(ip) })));
  return results.flatMap(({ ip, result }) =>
    result.bindable
      ? []
      : [
          {
            code: IP_NOT_ON_HOST,
            ip,
            message: `${ip} is not an address of the host running the admin API (bind: ${result.code}); workers on a host without it defer this Pool's mail from it with reason SOURCE_IP_UNAVAILABLE`,
          },
        ],
  );
}
