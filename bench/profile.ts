import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { dirname } from 'node:path';

/**
 * Starts the V8 CPU profiler of this thread (or, with `heap`, the sampling allocation profiler,
 * collected objects included); `stop` writes the profile (`.heapprofile` for allocations) and
 * returns its path.
 */
export async function startProfile(heap: boolean): Promise<{ stop: (path: string) => Promise<string> }> {
  const session = new Session();
  session.connect();
  if (heap) {
    await session.post('HeapProfiler.enable');
    // Every allocation sampled, the ones the GC has already collected included: what the
    // scavenger has to deal with, not what is left at the end.
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  } else {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  return {
    stop: async (path) => {
      const { profile } = heap ? await session.post('HeapProfiler.stopSampling') : await session.post('Profiler.stop');
      await mkdir(dirname(path), { recursive: true });
      const out = heap ? path.replace(/\.cpuprofile$/, '.heapprofile') : path;
      await writeFile(out, JSON.stringify(profile));
      session.disconnect();
      return out;
    },
  };
}
