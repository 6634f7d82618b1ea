/** Every listener of a Bridgemail platform on a port the OS picks (its log and `Platform.ports` say which). */
export const FREE_PORTS_ENV: Readonly<Record<string, string>> = {
  BRIDGEMAIL_API_PORT: '0',
  BRIDGEMAIL_ADMIN_PORT: '0',
  BRIDGEMAIL_SMTP_PORT: '0',
  BRIDGEMAIL_SMTPS_PORT: '0',
  BRIDGEMAIL_MX_PORT: '0',
  BRIDGEMAIL_OPS_PORT: '0',
};
