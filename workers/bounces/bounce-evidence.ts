/**
 * Whether a message without a delivery-status part is a bounce, from families of evidence rather
 * than the wording of particular MTAs: who sent it (a mail system: daemon sender or null return
 * path), what its subject says, whether its text states that delivery failed or was delayed, and
 * whether it quotes an SMTP reply. No single family is needed; pairs of them are.
 */
import type { ParsedMessage } from './mime.js';

/** Senders of bounces: MAILER-DAEMON, postmaster, "Mail Delivery System/Subsystem", ... */
const DAEMON_FROM =
  /mailer-daemon|mail-daemon|post_?master|\bmailer\b|mail ?deliver|mail administrator|system administrator|mdaemon|mail ?system|\bbounces?\b|undeliverable|delivery ?(?:subsystem|system|notification)/i;

/** Subjects that name a delivery failure or delay by themselves (English and common translations). */
const FAILURE_SUBJECT =
  /undeliver|non[- ]?deliver|delivery (?:status|failure|failed|problem|notification|report|warning|delayed|error)|failure notice|returned mail|mail (?:delivery )?(?:failed|failure)|mail system error|could not (?:be )?(?:delivered|sent)|error (?:sending|delivering)|returned to sender|delayed (?:mail|message)|message (?:\S+ )?delayed|could not send|not delivered|delivery has failed|unzustellbar|nicht zugestellt|zustellung|non remis|non distribu|no entregado|no se pudo entregar|non recapitabile|niet bezorgd|onbestelbaar|não entregue|nie dostarczon|niedostarczon|не доставлен|недоставлен|nedoru[čc]|olevererbar|未送達|配信不能|エラー|退信|未能送达|投递失败|전송 실패/i;

/** Subject words that mean a failure only when a mail system sent the message. */
const SYSTEM_SUBJECT =
  /\b(?:errors?|failure|failed|warning|problem|returned|rejected|bounced?|delayed|notification)\b/i;

const DELIVERY_VERB = String.raw`(?:deliver\w*|sen[dt]\w*|transmi\w*|relay\w*|forward\w*|reach\w*|dispatch\w*)`;
const FAILURE_WORD = String.raw`(?:fail\w*|errors?|unable|impossible|problems?|trouble|rejected|refused|returned|delayed|not (?:yet )?(?:been )?(?:possible|delivered|sent|completed|reached)|could ?n[o']t|can ?n[o']t|cannot|was ?n[o']t|was not|not able)`;

/** Text that states a delivery failed or is delayed, in either order ("could not be delivered", "delivery failed"). */
const FAILURE_STATEMENT = [
  new RegExp(String.raw`\b${DELIVERY_VERB}\b[^.\n]{0,60}?\b${FAILURE_WORD}`, 'i'),
  new RegExp(String.raw`\b${FAILURE_WORD}[^.\n]{0,60}?\b${DELIVERY_VERB}`, 'i'),
  /undeliverable|non-?delivery|permanent (?:fatal )?error|this is the qmail-send program|remote host said|did not like our rcpt to|delivery status notification|returned mail|failed recipients?|the following (?:address|recipient)/i, // The same statement in other languages mail systems write their notices in.
  /konnte nicht (?:an .{0,60})?zugestellt|nicht zugestellt|unzustellbar|n'a pas (?:pu )?(?:être|ete|été) (?:remis|distribu|d[ée]livr)|non remis|[ée]chec de (?:la )?(?:remise|livraison|distribution)/i,
  /no (?:se )?(?:ha podido|pudo) (?:ser )?entregar|no (?:ha sido|fue) entregado|non (?:è|e) stato possibile (?:recapitare|consegnare)|non recapitabile|mancata consegna/i,
  /n[ãa]o (?:foi poss[íi]vel )?entreg|falha na entrega|kon niet (?:worden )?(?:bezorgd|afgeleverd)|onbestelbaar|nie (?:może|mo[zż]na|mog[łl]a|zosta[łl]a?) (?:zosta[ćc] )?(?:by[ćc] )?dostarcz|niedostarcz/i,
  /не (?:было |может быть |удалось )?доставлен|недоставлен|не удалось доставить|nemohla b[ýy]t doru[čc]ena|nedoru[čc]iteln|kunde inte levereras|olevererbar/i,
  /配信(?:でき|に失敗|不能)|送信(?:でき|に失敗)|届きません|宛先不明|退信|未能(?:成功)?(?:送达|投递)|投递失败|发送失败|전송(?:에)? 실패|배달(?:에)? 실패|전달되지 않/,
];

/** An SMTP reply quoted with its text ("550 5.1.1 <a@b>: …", "550 - Requested action not taken"), or an enhanced status code. */
const SMTP_REPLY =
  /(?:^|[\s:;([<"'#])[45][0-5]\d(?:[ -]+|-?\s*['"]?)(?:[245]\.\d{1,3}\.\d{1,3}\s+)?[A-Za-z<'"]|(?<![\d.])[45]\.\d{1,3}\.\d{1,3}(?![\d.])/m;

/** Words that put a failure notice about e-mail. */
const ABOUT_MAIL = /\b(?:e-?mails?|mail|messages?|recipients?|mailbox|mail ?server|smtp)\b/i;

/** Whether the message comes from a mail system (daemon sender or X-Failed-Recipients). */
export function isDaemonBounce(msg: ParsedMessage): boolean {
  const h = msg.root.header;
  return h('x-failed-recipients').length > 0 || h('from').some((v) => DAEMON_FROM.test(v));
}

/** Whether a message without a delivery-status part reads like a bounce; `text` is its notification. */
export function looksLikeTextBounce(msg: ParsedMessage, text: string): boolean {
  const h = msg.root.header;
  if (h('x-failed-recipients').length > 0) return true;
  const fromSystem = isDaemonBounce(msg) || h('return-path').some((v) => /^<?\s*>?$/.test(v));
  const subjects = h('subject');
  const failureSubject = subjects.some((s) => FAILURE_SUBJECT.test(s));
  const failureText = FAILURE_STATEMENT.some((re) => re.test(text));
  // Without a mail-system sender, a failure subject and text must also be about mail: a parcel
  // service's "delivery failed" notice is not a bounce.
  if (failureSubject && failureText && (ABOUT_MAIL.test(text) || SMTP_REPLY.test(text))) return true;
  if (!fromSystem) return false;
  return failureSubject || failureText || subjects.some((s) => SYSTEM_SUBJECT.test(s)) || SMTP_REPLY.test(text);
}
