import type { CodeSample, SampleTarget } from '../../admin-api/samples/index.js';

/** A Bridge's endpoints and credentials as the code-sample unit tests render them. */
export const SAMPLE_TARGET: SampleTarget = {
  apiUrl: 'http://127.0.0.1:8080',
  apiKey: 'bm_live_AbC-123_xyz',
  smtpHost: 'smtp.example.com',
  smtpPort: 587,
  smtpsPort: 465,
  username: 'bm-user1',
  password: 'pw-Secret_1',
};

/** The sample of `language` in `variant` (the test fails on the `!` access if there is none). */
export const findSample = (samples: CodeSample[], language: string, variant: string) =>
  samples.find((s) => s.language === language && s.variant === variant)!;
