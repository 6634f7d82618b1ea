// The `bridgemail` command's usage text, in plain JavaScript that imports nothing: `--help` and a
// bare `bridgemail` are answered by bin/bridgemail.js before tsx and the platform are loaded.

/** Usage of the `bridgemail` command. */
export const USAGE = `Usage: bridgemail start [--role all|ingress|worker|analytics|admin[,...]]
       bridgemail classify FILE...

Starts Bridgemail with the configuration from the environment (see the README's table).
  start    run every role in the foreground: SMTP and REST ingress, delivery workers,
           analytics writer, admin API; embedded Redis, PGlite and chDB unless
           REDIS_URL, DATABASE_URL, CLICKHOUSE_URL are set.
  classify print one JSON line per file: the bounce/complaint classifier's answer
           ({ kind, recipient, hard, status, reason, … } plus "file"); needs no server.
  --role   the roles of this process, comma-separated (default all):
           ingress    REST and SMTP submission, tracking endpoints, inbound MX and reports
           worker     delivery and webhooks
           analytics  the one writer of events into ClickHouse
           admin      admin API, web console, bull-board
           Anything but "all" needs REDIS_URL and DATABASE_URL (ingress, analytics and admin
           also CLICKHOUSE_URL), the same BRIDGEMAIL_MASTER_KEY and a shared BRIDGEMAIL_SPOOL_DIR.
  Every process serves /healthz, /readyz and /metrics on BRIDGEMAIL_OPS_PORT.`;

/** The arguments that ask for the usage on standard output. */
export const HELP_ARGS = ['--help', '-h', 'help'];
