/** Everything an app needs to reach one Bridge. */
export interface SampleTarget {
  /** Base URL of the send API without a trailing slash, e.g. `http://127.0.0.1:8080`. */
  apiUrl: string;
  apiKey: string;
  smtpHost: string;
  /** STARTTLS port (587 in production). */
  smtpPort: number;
  /** Implicit TLS port (465 in production). */
  smtpsPort: number;
  username: string;
  password: string;
}

/** Languages of the REST samples. */
export const REST_LANGUAGES = ['curl', 'php', 'node', 'python', 'bash'] as const;
/** Libraries and tools of the SMTP samples. */
export const SMTP_LANGUAGES = ['phpmailer', 'nodemailer', 'smtplib', 'swaks'] as const;
/** Languages the console offers copy-paste samples in. */
export type SampleLanguage = (typeof REST_LANGUAGES)[number] | (typeof SMTP_LANGUAGES)[number];

/** REST: `json` posts a JSON body; `attachment` posts multipart/form-data with one file part. */
export const REST_VARIANTS = ['json', 'attachment'] as const;
/** SMTP: `starttls` submits on the STARTTLS port (587), `tls` on the implicit TLS port (465). */
export const SMTP_VARIANTS = ['starttls', 'tls'] as const;

/** One ready-to-run snippet that sends a single message through the REST send API or SMTP submission. */
export interface CodeSample {
  transport: 'rest' | 'smtp';
  language: SampleLanguage;
  variant: (typeof REST_VARIANTS)[number] | (typeof SMTP_VARIANTS)[number];
  title: string;
  /** Suggested file name when the sample is downloaded, e.g. `send-attachment.py`. */
  filename: string;
  code: string;
}

/** The one message every sample sends. */
export const MESSAGE = {
  from: 'sender@example.com',
  to: 'recipient@example.com',
  subject: 'Hello from Bridgemail',
  text: 'It works.',
  html: '<p>It works.</p>',
} as const;
