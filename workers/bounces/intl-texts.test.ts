import { describe, expect, it } from 'vitest';
import { INTL_REASONS, INTL_SAMPLES, LANGUAGES } from '../../test/support/intl-diagnostics.js';
import { classifySmtpReply, diagnose } from './diagnose.js';
import { foldDiacritics, INTL_TEXT_RULES, matchIntlTextRules } from './intl-texts.js';
import { REASONS } from './reasons.js';

/** What an accent-dropping gateway leaves of a text: Latin letters without accents, other scripts kept. */
const stripAccents = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/([A-Za-z])[\u0300-\u036f]+/g, '$1')
    .normalize('NFC');

const cases = LANGUAGES.flatMap((language) =>
  INTL_REASONS.flatMap((reason) => INTL_SAMPLES[language][reason].map((text) => [language, reason, text] as const)),
);

describe('matchIntlTextRules', () => {
  it.each(cases)('%s %s: %s', (_language, reason, text) => {
    expect(matchIntlTextRules(text)).toBe(reason);
    expect(matchIntlTextRules(stripAccents(text))).toBe(reason);
    expect(matchIntlTextRules(text.toUpperCase())).toBe(reason);
    expect(matchIntlTextRules(`550 5.0.0 <someone@example.net>: ${text}.`)).toBe(reason);
  });

  it.each(cases)('diagnose picks %s %s for "%s" when the status says nothing', (_language, reason, text) => {
    expect(diagnose({ texts: [`550 ${text}`], status: '5.0.0', replyCode: 550 })).toBe(reason);
  });

  it('covers every language for every reason', () => {
    for (const language of LANGUAGES) {
      for (const reason of INTL_REASONS) expect(INTL_SAMPLES[language][reason].length).toBeGreaterThan(0);
    }
    expect(new Set(INTL_TEXT_RULES.map((r) => r.reason))).toEqual(new Set(INTL_REASONS));
    for (const rule of INTL_TEXT_RULES) expect(REASONS).toContain(rule.reason);
  });

  it('answers nothing for English, neutral or empty texts', () => {
    for (const text of ['', 'OK', '250 2.0.0 Ok: queued as 4B2F1', 'Message accepted for delivery', 'hello world']) {
      expect(matchIntlTextRules(text)).toBeUndefined();
    }
  });

  it('tells a domain that does not exist from a user that does not', () => {
    expect(matchIntlTextRules('收件人域名不存在')).toBe('hostunknown');
    expect(matchIntlTextRules('收件人不存在')).toBe('userunknown');
    expect(matchIntlTextRules('ドメインが存在しません')).toBe('hostunknown');
    expect(matchIntlTextRules('指定されたアドレスは存在しません')).toBe('userunknown');
    expect(matchIntlTextRules("Le domaine example.fr n'existe pas")).toBe('hostunknown');
    expect(matchIntlTextRules("Ce destinataire n'existe pas")).toBe('userunknown');
  });

  it('reads a list refusing non-members, and a hedged "may not exist", as no verdict on the address', () => {
    expect(matchIntlTextRules('Skupina example-list neexistuje nebo k ní nemáte oprávnění psát')).toBe('rejected');
    expect(matchIntlTextRules('Die Gruppe gibt es womöglich nicht, oder Ihnen fehlt die Berechtigung')).toBe(
      'rejected',
    );
    expect(matchIntlTextRules('该群组不存在，或者您没有发帖权限')).toBe('rejected');
    expect(matchIntlTextRules('Групи не існує, або у Вас немає дозволу надсилати в неї повідомлення')).toBe('rejected');
    expect(matchIntlTextRules('Ta adresa pravděpodobně neexistuje')).toBeUndefined();
    expect(matchIntlTextRules('Diese Adresse existiert wahrscheinlich nicht')).not.toBe('userunknown');
  });

  it('tells a suspended account from a blocked sender', () => {
    expect(matchIntlTextRules('Konto gesperrt')).toBe('suspend');
    expect(matchIntlTextRules('IP-Adresse 192.0.2.1 gesperrt')).toBe('blocked');
    expect(matchIntlTextRules('계정이 차단되었습니다')).toBe('suspend');
    expect(matchIntlTextRules('IP가 차단되었습니다')).toBe('blocked');
  });

  it('tells a message too big from a mailbox full', () => {
    expect(matchIntlTextRules('メッセージサイズが大きすぎます')).toBe('mesgtoobig');
    expect(matchIntlTextRules('メールボックスの容量を超えています')).toBe('mailboxfull');
    expect(matchIntlTextRules('邮件大小超过限制')).toBe('mesgtoobig');
    expect(matchIntlTextRules('邮箱容量已满')).toBe('mailboxfull');
  });
});

describe('foldDiacritics', () => {
  it('strips Latin accents and keeps Cyrillic, kana and Hangul whole', () => {
    expect(foldDiacritics('Boîte pleine, buzón, użytkownik, Größe, příjemce')).toBe(
      'Boite pleine, buzon, uzytkownik, Grosse, prijemce',
    );
    expect(foldDiacritics('почтовый ящик, учётная')).toBe('почтовый ящик, учетная');
    expect(foldDiacritics('ガ ｶﾞ 한글')).toBe('ガ ガ 한글');
    expect(foldDiacritics('n’existe\npas')).toBe("n'existe pas");
  });
});

describe('classifySmtpReply with non-English replies', () => {
  it('is hard only where the address is bad, and never on a 4xx', () => {
    expect(classifySmtpReply(550, null, 'Benutzer unbekannt')).toMatchObject({ reason: 'userunknown', hard: true });
    expect(classifySmtpReply(550, null, '域名不存在')).toMatchObject({ reason: 'hostunknown', hard: true });
    expect(classifySmtpReply(552, null, 'Boîte pleine')).toMatchObject({ reason: 'mailboxfull', hard: false });
    expect(classifySmtpReply(554, null, 'Письмо распознано как спам')).toMatchObject({ hard: false });
    expect(classifySmtpReply(450, null, 'Usuario desconocido')).toMatchObject({ reason: 'userunknown', hard: false });
  });
});
