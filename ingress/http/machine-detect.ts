/** Why an open or click is attributed to a machine rather than a person. */
export type MachineReason = 'no-user-agent' | 'proxy' | 'scanner' | 'too-fast';

/** User agents of mail privacy proxies and image prefetchers (opens). */
const PROXY_AGENTS = [/GoogleImageProxy/i, /YahooMailProxy/i, /ggpht\.com/i];

/** User agents of security link scanners and previewers (opens and clicks). */
const SCANNER_AGENTS = [
  /Barracuda/i,
  /Mimecast/i,
  /Proofpoint|urldefense/i,
  /Forcepoint/i,
  /Symantec|Broadcom/i,
  /Trend ?Micro/i,
  /SafeLinks|Safe Links/i,
  /BingPreview/i,
  /(bot|crawler|spider|scanner)\b/i,
];

/** Apple Mail Privacy Protection fetches through Apple's network (17.0.0.0/8) with a bare agent. */
function isApplePrivacyProxy(userAgent: string, clientIp: string): boolean {
  return userAgent.trim() === 'Mozilla/5.0' || /^(::ffff:)?17\./.test(clientIp);
}

/**
 * Classifies an open (`o`) or click (`c`): returns why it is a machine, or undefined for a person.
 * A click less than `scannerWindowMs` after the copy was sent is a scanner (people do not click
 * that fast); known proxy and scanner agents are machines whenever they come.
 */
export function machineReason(
  kind: 'o' | 'c',
  request: { userAgent: string; clientIp: string },
  sentAt: number,
  now: number,
  scannerWindowMs: number,
): MachineReason | undefined {
  const ua = request.userAgent;
  if (ua.trim() === '') return 'no-user-agent';
  if (SCANNER_AGENTS.some((r) => r.test(ua))) return 'scanner';
  if (kind === 'o' && (PROXY_AGENTS.some((r) => r.test(ua)) || isApplePrivacyProxy(ua, request.clientIp)))
    return 'proxy';
  if (kind === 'c' && now - sentAt < scannerWindowMs) return 'too-fast';
  return undefined;
}
