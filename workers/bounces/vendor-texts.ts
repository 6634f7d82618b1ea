import type { Reason } from './reasons.js';

/** One row of the text rule table: any pattern matching the diagnostic text gives the reason. */
export interface TextRule {
  reason: Reason;
  patterns: readonly RegExp[];
}

/**
 * Diagnostic texts of MTAs and providers, by reason, most specific first: the first row with a
 * matching pattern wins. Order matters where texts overlap: reputation and block lists come
 * before sender-side rejections (a provider that refuses the sending IP also "rejects the
 * sender"), sender-side rejections before the address rules (Exim's "after MAIL FROM: 550 No
 * such domain" is about our domain), system-full before mailbox-full, and the address rules
 * before expiry (qmail appends "in the queue too long" to whatever the last error was).
 *
 * Sources: the wording of Postfix, Sendmail, Exim, qmail, Courier, OpenSMTPD, Exchange /
 * Office 365 (RESOLVER.* codes), Gmail, Yahoo ([TSSxx] codes), Outlook.com, Amazon SES, Lotus
 * Notes, Mimecast and the big French and Japanese providers as seen in their bounces.
 */
export const TEXT_RULES: readonly TextRule[] = [
  {
    reason: 'authfailure',
    patterns: [
      /\bdmarc\b.{0,80}\b(?:fail|policy|reject|verification)/i,
      /does not pass dmarc|not pass (?:dmarc|dkim|spf)/i,
      /\bspf\b.{0,60}\b(?:fail|hard ?fail|not (?:pass|designate))|sender policy framework/i,
      /\bdkim\b.{0,40}\b(?:fail|invalid|not (?:pass|valid))/i,
      /(?:un|not properly )authenticated (?:e-?mail|message)|isn't properly authenticated/i,
    ],
  },
  {
    reason: 'requireptr',
    patterns: [
      /reverse dns|\brdns\b|\bptr\b record|no ptr\b|ip name (?:lookup|possibly) (?:failed|forged)/i,
      /cannot find your (?:host ?name|reverse)|client host rejected: cannot find your/i,
      /(?:reverse|forward)[- ](?:lookup|hostname|resolution).{0,30}fail|does not have a valid (?:ptr|reverse)/i,
    ],
  },
  {
    reason: 'badreputation',
    patterns: [
      /\[TSS0[49]\]|temporarily deferred due to (?:unexpected volume|user complaints)/i,
      /\b(?:poor|bad|low) (?:ip |sender |domain )?reputation|reputation (?:of|is too low)|sender reputation/i,
      /\bRP-00[123]\b|\bSC-00[1-4]\b/,
    ],
  },
  {
    reason: 'virusdetected',
    patterns: [/\bvirus\b|malware|infected|rejected due to security polic/i],
  },
  {
    reason: 'spamdetected',
    patterns: [
      /\bspam\b|scored as|unacceptable content|\bjunk mail|unsolicited|\bUBE\b|bulk e?-?mail|message content rejected|content filter rejection/i,
      /\[TS0[123]\]|\bHL:IP_?\b|\bCON:B1\b/i,
    ],
  },
  {
    reason: 'blocked',
    patterns: [
      /blocked using|(?:listed|found) (?:in|on|at) (?:the )?(?:[\w.-]+ )?(?:rbl|dnsbl|blacklist|blocklist|block list|spamhaus|spamcop)/i,
      // "may be blacklisted" is cPanel's hedge in a no-such-account text, not a listing.
      /(?<!may be |might be )\b(?:black|block|deny|ban)[- ]?list(?:ed)?\b|spamhaus|spamcop|abuseat|barracuda|sorbs|\bdnsbl\b|\bRBL\b/i,
      /client host .{0,60}(?:blocked|rejected|refused)|\bip\b.{0,40}\b(?:blocked|banned|not allowed)|access denied.{0,40}\bip\b/i,
      /refused to talk to me|service refus|connection (?:rejected|refused) by policy|(?:has been|is) (?:temporarily )?blocked|\bblocked\b/i,
      /\[(?:BL|RL|CON|IPTS)\d+\]|\bS3150\b|\bAS\(\d+\)/,
    ],
  },
  {
    reason: 'securityerror',
    patterns: [
      /authentication (?:is )?required|AuthRequired|must (?:be )?authenticat|sender is not authenticated/i,
      /relay(?:ing)? (?:denied|not permitted|prohibited|access denied)|not permitted to relay|unable to relay|we do not relay/i,
      /(?:tls|starttls|encryption) (?:is )?required|must issue a starttls/i,
    ],
  },
  {
    reason: 'policyviolation',
    patterns: [
      /policy (?:violation|reasons)|violat\w* .{0,20}polic|prohibited by (?:administrative )?policy/i,
      /(?:denied|rejected|refused|blocked|not allowed) (?:by|due to|because of|per) (?:\w+ ){0,2}polic(?:y|ies)/i,
    ],
  },
  {
    reason: 'filtered',
    patterns: [
      /message filtered|\bfiltered\b|recipient'?s? (?:filter|rules|preferences)|due to (?:the )?(?:receiver|recipient)'?s? (?:policy|preferences)/i,
      // "550 : User unknown", with the address left empty: the answer of a receiving filter that
      // had accepted the recipient (KDDI au / ezweb and gateways like it), not of the mailbox.
      /\b[45]\d\d:?\s+:\s*user unknown/i,
    ],
  },
  {
    reason: 'rejected',
    patterns: [
      /sender address rejected|sender (?:was |is )?rejected|sender (?:domain|address) (?:is )?(?:invalid|not allowed|unknown|does not exist)/i,
      /after MAIL FROM|\[MAIL_FROM\]|sender verify failed|domain of sender address .{0,80} does not exist/i,
      /(?:envelope|return[- ]path|mail from) (?:address )?(?:rejected|refused|not allowed)/i,
      // Lists and groups that refuse posts from non-members: the list exists, the sender may not post.
      /(?:not|no) (?:have )?(?:the )?permission to post|not (?:allowed|authori[sz]ed|permitted) to (?:post|send (?:messages|mail) to)|only (?:members|subscribers) (?:can|may) post|not a member of (?:this|the) (?:list|group)/i,
    ],
  },
  {
    reason: 'toomanyconn',
    patterns: [
      /too many (?:connections|concurrent|sessions|smtp sessions)|connection (?:rate|limit) (?:limit )?exceeded|rate limit|throttl/i,
    ],
  },
  {
    reason: 'exceedlimit',
    patterns: [
      /exceeds? (?:the )?(?:administrative )?limit|too many recipients|recipient limit|exceeded (?:the )?(?:daily|hourly) /i,
    ],
  },
  {
    reason: 'mesgtoobig',
    patterns: [
      /message (?:size|length) exceeds|(?:message|mail|email) (?:is )?too (?:big|large)|line limit exceeded|size limit|exceeds (?:the )?(?:maximum )?(?:message )?size/i,
    ],
  },
  {
    reason: 'systemfull',
    patterns: [
      /insufficient (?:system )?(?:disk space|storage)|(?:mail )?system (?:is )?full|disk (?:is )?full|out of (?:disk|storage) space/i,
    ],
  },
  {
    reason: 'mailboxfull',
    patterns: [
      /mail ?box (?:is |was )?(?:full|over ?quota|exceeded)|quota|(?:exceeded|exceeds) (?:its|the|his|her) (?:disk|storage|mailbox)/i,
      /(?:mailbox|account|inbox) (?:has )?(?:exceeded|reached) (?:its |the )?(?:limit|size|storage|capacity)|insufficient (?:mailbox )?storage|not enough (?:disk )?space/i,
      /RESOLVER\.RST\.(?:Recip)?SizeLimit|over the allowed storage/i,
    ],
  },
  {
    reason: 'suspend',
    patterns: [
      /(?:account|mailbox|address|user) (?:is |has been )?(?:disabled|suspended|inactive|deactivated|locked|frozen|expired|blocked by the administrator)/i,
      /RESOLVER\.ADR\.RecipDisabled|recipient (?:account )?(?:is )?(?:disabled|suspended|inactive)/i,
    ],
  },
  {
    reason: 'hasmoved',
    patterns: [
      /address has (?:been )?(?:moved|changed)|has moved to|user has moved|no longer (?:at|with) this|not local; please try/i,
    ],
  },
  {
    reason: 'notaccept',
    patterns: [
      /not accepting (?:network )?(?:messages|mail)|does not accept (?:e-?)?mail|accepts no mail|null mx/i,
      /(?:no|couldn't find a) mail exchanger|no mx (?:record|host)|indicated no smtp service|does not (?:accept|receive) (?:e-?mail|mail)/i,
    ],
  },
  {
    reason: 'userunknown',
    patterns: [
      /user ?unknown|unknown (?:user|recipient|mailbox|address|local[- ]part|alias)|addressee unknown|no such (?:user|mailbox|recipient|account|address|person|local user)/i,
      /(?:user|mailbox|recipient|address|account|e-?mail account) (?:\S+ )?(?:does not|doesn't|did not) exist|(?:user|mailbox|recipient) (?:not found|unavailable|not available)/i,
      /not (?:a )?valid (?:mailbox|recipient|user|address)|invalid (?:recipient|mailbox|user|address)|bad destination mailbox|no mailbox|mailbox not found/i,
      /recipient name is not recognized|RecipNotFound|RecipientNotFound|Recipient not found|unrouteable address|undeliverable address/i,
      /not listed in (?:the )?(?:domino directory|public name & address book|directory)|no such local user|this user doesn't have a/i,
      /account that you tried to reach does not exist|recipient address rejected: (?:user unknown|undeliverable|access denied)/i,
      /invalid (?:final )?delivery (?:user ?id|address)|address (?:couldn't|could not|cannot|can't) be found|\baddress not found\b/i,
      /(?:e-?mail |recipient )?address (?:is )?not valid|is not a valid (?:\S+ )?(?:e-?mail )?address|(?:unknown|illegal|invalid) (?:or illegal )?alias/i,
    ],
  },
  {
    // The resolver could not get an answer (SERVFAIL, timeout, "try again"): says nothing about the domain.
    reason: 'networkerror',
    patterns: [
      /host not found, try again|malformed or unexpected name server reply|server ?fail|dns (?:lookup )?(?:timed? ?out|temporary failure)|temporary (?:dns|lookup|name resolution) (?:failure|error)/i,
    ],
  },
  {
    reason: 'hostunknown',
    patterns: [
      /host ?unknown|unknown host|host or domain name not found|name or service not known|no such domain|host not found/i,
      /domain (?:name )?(?:not found|does not exist|doesn't exist|may not exist|is not reachable|not reachable)|illegal host\/domain|invalid domain|unknown domain/i,
      /unrouteable (?:mail )?domain|no (?:a|mx|dns) records?|couldn't find any host|name service error|dns (?:error|failure|lookup failed)/i,
      /\bhost \S+ not found|dns lookup failure|nxdomain|domain \S+ (?:couldn't|could not|cannot) be found|non-?existent (?:host|domain)/i,
    ],
  },
  {
    reason: 'systemerror',
    patterns: [
      /\bldap\b|unable to contact|temporary (?:local )?(?:problem|failure)|internal (?:server )?error|system error|local error|server (?:error|failure)|mail loop|routing loop|too many hops/i,
    ],
  },
  {
    reason: 'networkerror',
    patterns: [
      /connection (?:timed out|refused|reset)|network (?:is )?unreachable|no route to host|lost connection|could not connect|connect to .{0,80} timed out|conversation with .{0,80} timed out/i,
    ],
  },
  {
    reason: 'expired',
    patterns: [
      /retry timeout exceeded|in the queue too long|too long in (?:the )?queue|delivery time expired|message expired|could not be delivered for .{0,30}days|has been delayed|delivery (?:has been )?delayed/i,
    ],
  },
  {
    reason: 'syntaxerror',
    patterns: [/improper sequence|bad sequence of commands|syntax error|command (?:not recognized|unrecognized)/i],
  },
];

/** A rule table compiled for matching: each rule's patterns joined into one regex per flag set. */
export type CompiledRules = readonly { reason: Reason; tests: readonly RegExp[] }[];

/**
 * Joins each rule's patterns into one alternation per flag set: one scan of the text per rule
 * instead of one per pattern, with the same answer (patterns use no backreferences).
 */
export function compileRules(rules: readonly TextRule[]): CompiledRules {
  return rules.map((rule) => {
    const byFlags = new Map<string, string[]>();
    for (const p of rule.patterns) byFlags.set(p.flags, [...(byFlags.get(p.flags) ?? []), `(?:${p.source})`]);
    return { reason: rule.reason, tests: [...byFlags].map(([flags, sources]) => new RegExp(sources.join('|'), flags)) };
  });
}

/** The reason of the first compiled rule matching `text`, or `undefined`. */
export function firstMatch(rules: CompiledRules, text: string): Reason | undefined {
  for (const rule of rules) {
    if (rule.tests.some((re) => re.test(text))) return rule.reason;
  }
  return undefined;
}

const COMPILED = compileRules(TEXT_RULES);

/** The reason of the first rule matching `text`, or `undefined`. */
export function matchTextRules(text: string): Reason | undefined {
  return firstMatch(COMPILED, text);
}
