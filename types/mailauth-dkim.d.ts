// The parts of mailauth (CommonJS, untyped) that workers/signing and its tests use.
declare module 'mailauth/lib/dkim/header/index.js' {
  export function generateCanonicalizedHeader(
    type: string,
    signingHeaderLines: unknown,
    options: Record<string, unknown>,
  ): { canonicalizedHeader: Buffer; dkimHeaderOpts: Record<string, unknown> };
}
declare module 'mailauth/lib/tools.js' {
  /** Splits a header block into unfolded fields (`key` lower-cased, `line` the field's bytes). */
  export function parseHeaders(buf: Buffer): { parsed: unknown[]; original: Buffer };
  export function getSigningHeaderLines(
    parsedHeaders: unknown[],
    fieldNames?: string,
  ): { keys: string; headers: { line: Buffer }[] };
  /** A field in relaxed form (RFC 6376 §3.4.2, with JavaScript's \s for whitespace). */
  export function formatRelaxedLine(line: Buffer, suffix?: string): Buffer;
  export function formatSignatureHeaderLine(type: string, values: Record<string, unknown>, folded: boolean): string;
}
declare module 'mailauth/lib/dkim/body/index.js' {
  /** mailauth's streaming body hasher (`RelaxedHash` for `relaxed`); `false`: no l= limit. */
  export function dkimBody(
    canonicalization: string,
    algorithm: string,
    maxBodyLength: number | false,
  ): { update(chunk: Buffer | null, final?: boolean): void; digest(encoding: 'base64'): string };
}
