import { afterAll, beforeAll } from 'vitest';
import { startSmtpSink, type SinkScript, type SmtpSink } from './smtp-sink.js';
import { startTestPlatform, type TestPlatform } from './test-platform.js';

/** A loopback sink and a platform whose MX override points at it. */
export interface Harness {
  sink: SmtpSink;
  platform: TestPlatform;
}

/**
 * Registers `beforeAll` / `afterAll` hooks that start a scripted sink and a platform delivering
 * to it, and stop both; read the fields inside tests (they are set once the hooks ran).
 */
export function useHarness(env: Record<string, string> = {}, script?: SinkScript): Harness {
  const harness = {} as Harness;
  beforeAll(async () => {
    harness.sink = await startSmtpSink(script);
    harness.platform = await startTestPlatform({ BRIDGEMAIL_MX_OVERRIDE: harness.sink.mxOverride, ...env });
  });
  afterAll(async () => {
    await harness.platform?.stop();
    await harness.sink?.close();
  });
  return harness;
}
