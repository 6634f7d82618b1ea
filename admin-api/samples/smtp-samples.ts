import { jsQuote, phpQuote, pyQuote, shellQuote } from './quote.js';
import { MESSAGE, SMTP_LANGUAGES, SMTP_VARIANTS, type CodeSample, type SampleTarget } from './sample-types.js';

type SmtpVariant = (typeof SMTP_VARIANTS)[number];

/** Where and how one SMTP sample connects. */
interface Connection {
  host: string;
  port: number;
  /** True on the implicit TLS port; false means STARTTLS, required before AUTH. */
  implicitTls: boolean;
  username: string;
  password: string;
}

// Every sample checks the server's certificate against the system's trusted CAs, as a real app
// should; a platform still on its generated self-signed certificate needs BRIDGEMAIL_TLS_CERT set
// (or that certificate trusted by the app's host) before these samples connect.

function phpmailerSample(c: Connection): string {
  return `<?php
// Sends one message through Bridgemail's SMTP submission with PHPMailer 6
// (composer require phpmailer/phpmailer).
use PHPMailer\\PHPMailer\\Exception;
use PHPMailer\\PHPMailer\\PHPMailer;

require __DIR__ . '/vendor/autoload.php';

$mail = new PHPMailer(true);
$mail->isSMTP();
$mail->Host = ${phpQuote(c.host)};
$mail->Port = ${c.port};
$mail->SMTPSecure = ${c.implicitTls ? 'PHPMailer::ENCRYPTION_SMTPS; // TLS from the first byte' : 'PHPMailer::ENCRYPTION_STARTTLS; // STARTTLS before AUTH'}
$mail->SMTPAuth = true;
$mail->Username = ${phpQuote(c.username)};
$mail->Password = ${phpQuote(c.password)};
$mail->CharSet = PHPMailer::CHARSET_UTF8;

$mail->setFrom(${phpQuote(MESSAGE.from)});
$mail->addAddress(${phpQuote(MESSAGE.to)});
$mail->Subject = ${phpQuote(MESSAGE.subject)};
$mail->isHTML(true);
$mail->Body = ${phpQuote(MESSAGE.html)};
$mail->AltBody = ${phpQuote(MESSAGE.text)};

try {
    $mail->send();
    echo "sent\\n";
} catch (Exception $e) {
    fwrite(STDERR, 'send failed: ' . $mail->ErrorInfo . "\\n");
    exit(1);
}
`;
}

function nodemailerSample(c: Connection): string {
  const tls = c.implicitTls
    ? '  secure: true, // TLS from the first byte'
    : '  secure: false,\n  requireTLS: true, // STARTTLS before AUTH, never in the clear';
  return `// Sends one message through Bridgemail's SMTP submission with Nodemailer
// (npm install nodemailer; Node.js 20+).
import nodemailer from 'nodemailer';

const transporter = nodemailer.createTransport({
  host: ${jsQuote(c.host)},
  port: ${c.port},
${tls}
  auth: { user: ${jsQuote(c.username)}, pass: ${jsQuote(c.password)} },
});

const info = await transporter.sendMail({
  from: ${jsQuote(MESSAGE.from)},
  to: ${jsQuote(MESSAGE.to)},
  subject: ${jsQuote(MESSAGE.subject)},
  text: ${jsQuote(MESSAGE.text)},
  html: ${jsQuote(MESSAGE.html)},
});
console.log(info.response);
`;
}

function smtplibSample(c: Connection): string {
  const connect = c.implicitTls
    ? `with smtplib.SMTP_SSL(HOST, PORT, context=context) as smtp:  # TLS from the first byte
    smtp.login(USERNAME, PASSWORD)`
    : `with smtplib.SMTP(HOST, PORT) as smtp:
    smtp.starttls(context=context)  # STARTTLS before AUTH
    smtp.login(USERNAME, PASSWORD)`;
  return `#!/usr/bin/env python3
"""Sends one message through Bridgemail's SMTP submission (standard library only)."""
import smtplib
import ssl
from email.message import EmailMessage

HOST = ${pyQuote(c.host)}
PORT = ${c.port}
USERNAME = ${pyQuote(c.username)}
PASSWORD = ${pyQuote(c.password)}

message = EmailMessage()
message["From"] = ${pyQuote(MESSAGE.from)}
message["To"] = ${pyQuote(MESSAGE.to)}
message["Subject"] = ${pyQuote(MESSAGE.subject)}
message.set_content(${pyQuote(MESSAGE.text)})
message.add_alternative(${pyQuote(MESSAGE.html)}, subtype="html")

context = ssl.create_default_context()
${connect}
    smtp.send_message(message)
print("sent")
`;
}

function swaksSample(c: Connection): string {
  // swaks checks the certificate only when asked (--tls-verify).
  // It reads a password that begins with "-" as another option, whatever the quoting. New passwords
  // never begin with one; an older one gets a note instead of a command that fails.
  const note = c.password.startsWith('-')
    ? '# swaks reads a password that begins with "-" as an option: rotate this Bridge\'s SMTP password\n' +
      '# (a new one never begins with "-") or use another sample.\n'
    : '';
  const lines = [
    `swaks --server ${shellQuote(c.host)} --port ${c.port} ${c.implicitTls ? '--tls-on-connect' : '--tls'} --tls-verify`,
    `--auth-user ${shellQuote(c.username)} --auth-password ${shellQuote(c.password)}`,
    `--from ${shellQuote(MESSAGE.from)} --to ${shellQuote(MESSAGE.to)}`,
    `--header ${shellQuote(`Subject: ${MESSAGE.subject}`)} --body ${shellQuote(MESSAGE.text)}`,
  ];
  return `${note}${lines.join(' \\\n  ')}\n`;
}

const LANGUAGES: Record<
  (typeof SMTP_LANGUAGES)[number],
  { title: string; file: string; render: (c: Connection) => string }
> = {
  phpmailer: { title: 'PHP (PHPMailer)', file: 'send-phpmailer%s.php', render: phpmailerSample },
  nodemailer: { title: 'Node.js (Nodemailer)', file: 'send-nodemailer%s.mjs', render: nodemailerSample },
  smtplib: { title: 'Python 3 (smtplib)', file: 'send-smtplib%s.py', render: smtplibSample },
  swaks: { title: 'swaks', file: 'send-swaks%s.sh', render: swaksSample },
};

/** Renders the SMTP samples of one Bridge: each library or tool on the STARTTLS and on the implicit TLS port. */
export function renderSmtpSamples(t: SampleTarget): CodeSample[] {
  return SMTP_LANGUAGES.flatMap((language) => {
    const { title, file, render } = LANGUAGES[language];
    return SMTP_VARIANTS.map((variant: SmtpVariant) => {
      const implicitTls = variant === 'tls';
      const port = implicitTls ? t.smtpsPort : t.smtpPort;
      return {
        transport: 'smtp' as const,
        language,
        variant,
        title: `${title} — SMTP, ${implicitTls ? `TLS on port ${port}` : `STARTTLS on port ${port}`}`,
        filename: file.replace('%s', implicitTls ? '-tls' : ''),
        code: render({ host: t.smtpHost, port, implicitTls, username: t.username, password: t.password }),
      };
    });
  });
}
