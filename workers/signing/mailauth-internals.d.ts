// The parts of mailauth (CommonJS, untyped) that the signing code and its tests use besides those
// declared in types/mailauth-dkim.d.ts; declarations of the same module merge.
declare module 'mailauth/lib/tools.js' {
  /** Splits a header block into unfolded fields (`key` lower-cased, `line` the field's bytes). */
  export function parseHeaders(buf: Buffer): { parsed: unknown[]; original: Buffer };
}
declare module 'mailauth/lib/dkim/body/index.js' {
  /** mailauth's streaming body hasher (`RelaxedHash` for `relaxed`); `false`: no l= limit. */
  export function dkimBody(
    canonicalization: string,
    algorithm: string,
    maxBodyLength: number | false,
  ): { update(chunk: Buffer | null, final?: boolean): void; digest(encoding: 'base64'): string };
}
