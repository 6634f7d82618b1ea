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

/** Languages the console offers copy-paste samples in. */
export type SampleLanguage = 'curl' | 'php' | 'node' | 'python' | 'bash';

/** One ready-to-run snippet that sends a single message through the REST send API. */
export interface CodeSample {
  language: SampleLanguage;
  /** `json` posts a JSON body; `attachment` posts multipart/form-data with one file part. */
  variant: 'json' | 'attachment';
  title: string;
  /** Suggested file name when the sample is downloaded, e.g. `send-attachment.py`. */
  filename: string;
  code: string;
}

const VARIANTS = ['json', 'attachment'] as const satisfies readonly CodeSample['variant'][];

const MESSAGE = {
  from: 'sender@example.com',
  to: 'recipient@example.com',
  subject: 'Hello from Bridgemail',
  text: 'It works.',
  html: '<p>It works.</p>',
} as const;
/** Text fields of the multipart variant, in the order they are sent. */
const FORM_FIELDS = Object.entries(MESSAGE).filter(([name]) => name !== 'html');
const FILE = { field: 'attachment', name: 'hello.txt', type: 'text/plain' } as const;

/** The send endpoint of a Bridge: `${apiUrl}/v1/send`, tolerating a trailing slash on `apiUrl`. */
export function sendEndpoint(apiUrl: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/v1/send`;
}

/** Quotes a value for POSIX shells: single quotes, each `'` written as `'\''`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Quotes a value as a PHP single-quoted string, where only `\` and `'` are special. */
function phpQuote(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/** Quotes a value as a JavaScript string literal, pure ASCII so no editor or encoding can mangle it. */
function jsQuote(value: string): string {
  return JSON.stringify(value).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Quotes a value as a Python 3 string literal, escaping by code point (Python has no surrogate pairs). */
function pyQuote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp <= 0xff) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** Shell tail shared by the curl samples: `response` holds the body, a newline, then the status. */
const SHELL_BODY = `"\${response%$'\\n'*}"`;
const SHELL_STATUS = `"\${response##*$'\\n'}"`;

function curlSample(t: SampleTarget, variant: CodeSample['variant']): string {
  const head = [
    `curl -sS -w '\\n%{http_code}' ${shellQuote(sendEndpoint(t.apiUrl))}`,
    `-H ${shellQuote(`Authorization: Bearer ${t.apiKey}`)}`,
  ];
  const parts =
    variant === 'json'
      ? [`-H 'Content-Type: application/json'`, `--data-raw ${shellQuote(JSON.stringify(MESSAGE))}`]
      : [
          ...FORM_FIELDS.map(([name, value]) => `--form-string ${shellQuote(`${name}=${value}`)}`),
          // `@-` reads the file part from stdin, so the one-liner needs no temp file.
          `-F '${FILE.field}=@-;filename=${FILE.name};type=${FILE.type}'`,
        ];
  const stdin = variant === 'json' ? '' : `printf 'Hello attachment\\n' | `;
  return `response=$(${stdin}${[...head, ...parts].join(' \\\n  ')}) \\
  && echo ${SHELL_BODY} \\
  && test ${SHELL_STATUS} = 202
`;
}

function bashSample(t: SampleTarget, variant: CodeSample['variant']): string {
  const file =
    variant === 'json'
      ? ''
      : `
tmpdir=$(mktemp -d)
trap 'rm -rf "$tmpdir"' EXIT
printf 'Hello attachment\\n' > "$tmpdir/${FILE.name}"
`;
  const parts =
    variant === 'json'
      ? [`-H 'Content-Type: application/json'`, `--data-raw ${shellQuote(JSON.stringify(MESSAGE))}`]
      : [
          ...FORM_FIELDS.map(([name, value]) => `--form-string ${shellQuote(`${name}=${value}`)}`),
          `-F "${FILE.field}=@$tmpdir/${FILE.name};type=${FILE.type}"`,
        ];
  return `#!/usr/bin/env bash
# Sends one message through the Bridgemail REST API.
set -euo pipefail

API_URL=${shellQuote(t.apiUrl.replace(/\/+$/, ''))}
API_KEY=${shellQuote(t.apiKey)}
${file}
response=$(curl -sS -w '\\n%{http_code}' "$API_URL/v1/send" \\
  -H "Authorization: Bearer $API_KEY" \\
  ${parts.join(' \\\n  ')})
status=${SHELL_STATUS}
echo ${SHELL_BODY}
if [[ "$status" != 202 ]]; then
  echo "send failed: HTTP $status" >&2
  exit 1
fi
`;
}

function phpSample(t: SampleTarget, variant: CodeSample['variant']): string {
  const phpItems = (pairs: [string, string][]) =>
    pairs.map(([k, v]) => `    ${phpQuote(k)} => ${phpQuote(v)},\n`).join('');
  const setup =
    variant === 'json'
      ? `$headers = ['Authorization: Bearer ' . $apiKey, 'Content-Type: application/json'];
$body = json_encode([
${phpItems(Object.entries(MESSAGE))}], JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);`
      : `$file = tempnam(sys_get_temp_dir(), 'bridgemail');
file_put_contents($file, "Hello attachment\\n");
$headers = ['Authorization: Bearer ' . $apiKey];
// An array body makes php-curl send multipart/form-data.
$body = [
${phpItems(FORM_FIELDS)}    '${FILE.field}' => new CURLFile($file, '${FILE.type}', '${FILE.name}'),
];`;
  return `<?php
// Sends one message through the Bridgemail REST API (needs php-curl).
$apiUrl = ${phpQuote(t.apiUrl.replace(/\/+$/, ''))};
$apiKey = ${phpQuote(t.apiKey)};

${setup}
$ch = curl_init($apiUrl . '/v1/send');
curl_setopt_array($ch, [
    CURLOPT_POST => true,
    CURLOPT_HTTPHEADER => $headers,
    CURLOPT_POSTFIELDS => $body,
    CURLOPT_RETURNTRANSFER => true,
]);
$response = curl_exec($ch);
${variant === 'json' ? '' : 'unlink($file);\n'}if ($response === false) {
    fwrite(STDERR, 'request failed: ' . curl_error($ch) . "\\n");
    exit(1);
}
$status = curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
echo $response, "\\n";
if ($status !== 202) {
    fwrite(STDERR, "send failed: HTTP $status\\n");
    exit(1);
}
`;
}

function nodeSample(t: SampleTarget, variant: CodeSample['variant']): string {
  const request =
    variant === 'json'
      ? `  headers: { Authorization: 'Bearer ' + apiKey, 'Content-Type': 'application/json' },
  body: JSON.stringify(${JSON.stringify(MESSAGE, null, 2).replace(/\n/g, '\n  ')}),`
      : `  // fetch sets the multipart Content-Type, boundary included.
  headers: { Authorization: 'Bearer ' + apiKey },
  body: form,`;
  const form =
    variant === 'json'
      ? ''
      : `const form = new FormData();
${FORM_FIELDS.map(([name, value]) => `form.append(${jsQuote(name)}, ${jsQuote(value)});`).join('\n')}
form.append('${FILE.field}', new Blob(['Hello attachment\\n'], { type: '${FILE.type}' }), '${FILE.name}');

`;
  return `// Sends one message through the Bridgemail REST API (Node.js 20+, no packages).
const apiUrl = ${jsQuote(t.apiUrl.replace(/\/+$/, ''))};
const apiKey = ${jsQuote(t.apiKey)};

${form}const response = await fetch(apiUrl + '/v1/send', {
  method: 'POST',
${request}
});
console.log(await response.text());
if (response.status !== 202) {
  console.error('send failed: HTTP ' + response.status);
  process.exit(1);
}
`;
}

function pythonSample(t: SampleTarget, variant: CodeSample['variant']): string {
  const body =
    variant === 'json'
      ? `body = json.dumps(${JSON.stringify(MESSAGE, null, 4)}).encode("utf-8")
headers = {"Authorization": "Bearer " + API_KEY, "Content-Type": "application/json"}`
      : `boundary = "bridgemail-" + secrets.token_hex(16)
fields = [${FORM_FIELDS.map(([name, value]) => `(${pyQuote(name)}, ${pyQuote(value)})`).join(', ')}]
body = b""
for name, value in fields:
    body += f'--{boundary}\\r\\nContent-Disposition: form-data; name="{name}"\\r\\n\\r\\n'.encode("utf-8")
    body += value.encode("utf-8") + b"\\r\\n"
body += (
    f'--{boundary}\\r\\nContent-Disposition: form-data; name="${FILE.field}"; filename="${FILE.name}"\\r\\n'
    "Content-Type: ${FILE.type}\\r\\n\\r\\n"
).encode("utf-8")
body += b"Hello attachment\\n\\r\\n"
body += f"--{boundary}--\\r\\n".encode("utf-8")
headers = {"Authorization": "Bearer " + API_KEY, "Content-Type": "multipart/form-data; boundary=" + boundary}`;
  return `#!/usr/bin/env python3
"""Sends one message through the Bridgemail REST API (standard library only)."""
import ${variant === 'json' ? 'json' : 'secrets'}
import sys
import urllib.error
import urllib.request

API_URL = ${pyQuote(t.apiUrl.replace(/\/+$/, ''))}
API_KEY = ${pyQuote(t.apiKey)}

${body}
request = urllib.request.Request(API_URL + "/v1/send", data=body, headers=headers, method="POST")
try:
    with urllib.request.urlopen(request) as response:
        status, text = response.status, response.read().decode("utf-8", "replace")
except urllib.error.HTTPError as error:
    status, text = error.code, error.read().decode("utf-8", "replace")
print(text)
if status != 202:
    sys.exit(f"send failed: HTTP {status}")
`;
}

const LANGUAGES: Record<SampleLanguage, { title: string; ext: string; render: typeof curlSample }> = {
  curl: { title: 'curl', ext: 'sh', render: curlSample },
  bash: { title: 'Bash script', ext: 'sh', render: bashSample },
  php: { title: 'PHP (curl extension)', ext: 'php', render: phpSample },
  node: { title: 'Node.js 20 (fetch)', ext: 'mjs', render: nodeSample },
  python: { title: 'Python 3 (standard library)', ext: 'py', render: pythonSample },
};

/** Renders the copy-paste samples of one Bridge: every language, each as a JSON and an attachment variant. */
export function renderSamples(target: SampleTarget): CodeSample[] {
  return (['curl', 'bash', 'php', 'node', 'python'] as const).flatMap((language) => {
    const { title, ext, render } = LANGUAGES[language];
    return VARIANTS.map((variant) => ({
      language,
      variant,
      title: `${title} — ${variant === 'json' ? 'JSON message' : 'with an attachment'}`,
      filename: `${language === 'curl' ? 'send-curl' : 'send'}${variant === 'json' ? '' : '-attachment'}.${ext}`,
      code: render(target, variant),
    }));
  });
}
