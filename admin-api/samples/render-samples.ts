import { jsQuote, phpQuote, pyQuote, shellQuote } from './quote.js';
import { MESSAGE, REST_LANGUAGES, REST_VARIANTS, type CodeSample, type SampleTarget } from './sample-types.js';
import { renderSmtpSamples } from './smtp-samples.js';

type RestVariant = (typeof REST_VARIANTS)[number];

/** Text fields of the multipart variant, in the order they are sent. */
const FORM_FIELDS = Object.entries(MESSAGE).filter(([name]) => name !== 'html');
const FILE = { field: 'attachment', name: 'hello.txt', type: 'text/plain' } as const;

/** The send endpoint of a Bridge: `${apiUrl}/v1/send`, tolerating a trailing slash on `apiUrl`. */
export function sendEndpoint(apiUrl: string): string {
  return `${apiUrl.replace(/\/+$/, '')}/v1/send`;
}

/**
 * A plain `curl` command for any POSIX shell (no bash syntax): `--fail-with-body` (curl 7.76+)
 * prints the answer and exits non-zero on an HTTP error, so no shell code reads the status.
 */
function curlSample(t: SampleTarget, variant: RestVariant): string {
  const head = [
    `curl -sS --fail-with-body -w '\\n' ${shellQuote(sendEndpoint(t.apiUrl))}`,
    `-H ${shellQuote(`Authorization: Bearer ${t.apiKey}`)}`,
  ];
  const parts =
    variant === 'json'
      ? [`-H 'Content-Type: application/json'`, `--data-raw ${shellQuote(JSON.stringify(MESSAGE))}`]
      : [
          ...FORM_FIELDS.map(([name, value]) => `--form-string ${shellQuote(`${name}=${value}`)}`),
          // `@-` reads the file part from stdin, so the command needs no temp file.
          `-F '${FILE.field}=@-;filename=${FILE.name};type=${FILE.type}'`,
        ];
  const stdin = variant === 'json' ? '' : `printf 'Hello attachment\\n' | `;
  return `${stdin}${[...head, ...parts].join(' \\\n  ')}\n`;
}

/** Bash tail of the script sample: `response` holds the body, a newline, then the status. */
const SHELL_BODY = `"\${response%$'\\n'*}"`;
const SHELL_STATUS = `"\${response##*$'\\n'}"`;

function bashSample(t: SampleTarget, variant: RestVariant): string {
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

function phpSample(t: SampleTarget, variant: RestVariant): string {
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

function nodeSample(t: SampleTarget, variant: RestVariant): string {
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

function pythonSample(t: SampleTarget, variant: RestVariant): string {
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

const LANGUAGES: Record<(typeof REST_LANGUAGES)[number], { title: string; ext: string; render: typeof curlSample }> = {
  curl: { title: 'curl', ext: 'sh', render: curlSample },
  bash: { title: 'Bash script', ext: 'sh', render: bashSample },
  php: { title: 'PHP (curl extension)', ext: 'php', render: phpSample },
  node: { title: 'Node.js 20 (fetch)', ext: 'mjs', render: nodeSample },
  python: { title: 'Python 3 (standard library)', ext: 'py', render: pythonSample },
};

/**
 * Renders the copy-paste samples of one Bridge: every REST language as a JSON and an attachment
 * variant, then every SMTP library and tool on the STARTTLS and the implicit TLS port.
 */
export function renderSamples(target: SampleTarget): CodeSample[] {
  const rest = REST_LANGUAGES.flatMap((language) => {
    const { title, ext, render } = LANGUAGES[language];
    return REST_VARIANTS.map((variant) => ({
      transport: 'rest' as const,
      language,
      variant,
      title: `${title} — ${variant === 'json' ? 'JSON message' : 'with an attachment'}`,
      filename: `${language === 'curl' ? 'send-curl' : 'send'}${variant === 'json' ? '' : '-attachment'}.${ext}`,
      code: render(target, variant),
    }));
  });
  return [...rest, ...renderSmtpSamples(target)];
}
