import type { ParsedMessage } from './mime.js';

// Challenge/response systems (Boxbe, Bluebottle, SpamArrest, Mailblocks, ...): they ask the
// sender to prove they are human; the address is fine, nothing bounced.
const CHALLENGE_HEADERS = [
  'x-boxbe-notice',
  'x-bluebottle-request',
  'x-spamarrest-noauth',
  'x-mailblocks',
  'x-challenge',
  'x-cr-hashedpuzzle',
];
const CHALLENGE_TEXT = [
  /\bpre-?approved\b|\bchallenge[- ]response\b|this (?:account|mailbox|e-?mail address) is protected by/i,
  /(?:click|follow|visit) (?:on )?(?:the )?(?:following |this |below )?link.{0,120}(?:allowed|approved|whitelist|verif|confirm|ensure delivery)/is,
  /verify (?:that )?you are (?:a )?(?:human|real person)|added to (?:the recipient's|my) (?:allowed|approved|white) ?list/i,
  /\bX-Boxbe-Notice\b|\bboxbe\b|\bbluebottle\b|\bspam ?arrest\b|\bmailblocks\b/i,
];

/** Whether the message is a challenge/response request rather than a bounce. */
export function isChallengeResponse(msg: ParsedMessage, texts: readonly string[]): boolean {
  if (CHALLENGE_HEADERS.some((h) => msg.root.header(h).length > 0)) return true;
  return texts.some((t) => CHALLENGE_TEXT.some((re) => re.test(t)));
}

const AUTO_SUBJECT =
  /^(?:auto(?:matic)?[- ]?(?:reply|response|answer)|auto:|out of (?:the )?office|vacation|away from|abwesenheit|absence|r[ée]ponse automatique|risposta automatica|respuesta autom[aá]tica)|\((?:auto(?:matic)? ?(?:reply|response))\)|\bout of office\b|\bon vacation\b/i;

/**
 * Whether the message is an auto-reply (RFC 3834 `Auto-Submitted: auto-replied`, vacation and
 * out-of-office subjects, X-Autoreply and friends). Bounces carry `Auto-Submitted` too (Exim),
 * so this is only asked once no bounce evidence was found.
 */
export function isAutoReply(msg: ParsedMessage): boolean {
  const h = msg.root.header;
  if (h('auto-submitted').some((v) => /auto-replied/i.test(v))) return true;
  if (h('x-autoreply').length > 0 || h('x-autorespond').length > 0 || h('x-autoresponder').length > 0) return true;
  if (h('precedence').some((v) => /auto_reply/i.test(v))) return true;
  return h('subject').some((s) => AUTO_SUBJECT.test(s));
}
