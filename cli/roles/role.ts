/**
 * What a process runs. `all` (the embedded default) is every role. `ingress`: REST and SMTP
 * submission, tracking endpoints, the inbound MX and its report processing. `worker`: delivery and
 * webhooks. `analytics`: the one writer of events into ClickHouse. `admin`: the admin API, web
 * console and bull-board.
 */
export type Role = 'all' | 'ingress' | 'worker' | 'analytics' | 'admin';

/** Every role name, for parsing `--role`. */
export const ROLES: readonly Role[] = ['all', 'ingress', 'worker', 'analytics', 'admin'];

/** The roles of `--role a,b` in `args` (default all), or the first unknown name. */
export function parseRoles(args: readonly string[]): Role[] | string {
  const i = args.indexOf('--role');
  const names = (i === -1 ? 'all' : (args[i + 1] ?? '')).split(',').map((r) => r.trim());
  const isRole = (name: string): name is Role => (ROLES as readonly string[]).includes(name);
  const unknown = names.find((name) => !isRole(name));
  return unknown !== undefined ? unknown : names.filter(isRole);
}
