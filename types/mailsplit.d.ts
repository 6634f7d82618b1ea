// Minimal declarations of the parts of mailsplit (nodemailer's streaming MIME splitter) we use.
declare module 'mailsplit' {
  import type { Transform } from 'node:stream';

  /** One MIME node (the root message or a part) as the splitter emits it. */
  export interface MimeNode {
    type: 'node';
    root: boolean;
    multipart: string | false;
    contentType: string | false;
    charset: string | false;
    encoding: string | false;
    disposition: string | false;
    headers: { get(key: string): string[]; remove(key: string): void; update(key: string, value: string): void };
    getDecoder(): Transform;
    getEncoder(encoding?: string): Transform;
  }

  export type SplitterChunk =
    MimeNode | { type: 'body'; value: Buffer; node: MimeNode } | { type: 'data'; value: Buffer };

  export class Splitter extends Transform {
    constructor(options?: { ignoreEmbedded?: boolean; maxHeadSize?: number });
  }
  export class Joiner extends Transform {}
}
