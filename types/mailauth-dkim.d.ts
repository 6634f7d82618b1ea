// The parts of mailauth's DKIM signer that workers/signing/dkim-signer.ts builds on (CommonJS, untyped).
declare module 'mailauth/lib/dkim/dkim-signer.js' {
  import { Writable } from 'node:stream';
  export class DkimSigner extends Writable {
    constructor(options: Record<string, unknown>);
    headers: { parsed: unknown[] } | undefined;
    headerList: string | undefined;
    signTime: Date | undefined;
    expires: Date | undefined;
    bodyHashes: Map<string, { hash: string | null }>;
    signatureHeaders: string[];
    errors: { err: Error }[];
    finalize(): Promise<void>;
  }
}
declare module 'mailauth/lib/dkim/header/index.js' {
  export function generateCanonicalizedHeader(
    type: string,
    signingHeaderLines: unknown,
    options: Record<string, unknown>,
  ): { canonicalizedHeader: Buffer; dkimHeaderOpts: Record<string, unknown> };
}
declare module 'mailauth/lib/tools.js' {
  import type { Writable } from 'node:stream';
  export function getSigningHeaderLines(parsedHeaders: unknown[], fieldNames?: string): unknown;
  export function formatSignatureHeaderLine(type: string, values: Record<string, unknown>, folded: boolean): string;
  export function writeToStream(stream: Writable, input: Buffer): Promise<void>;
}
