// A progress bar on stderr for --all, drawn by cli-progress (loaded only when a terminal will show it). Nothing is
// written when stderr is not a terminal, nor with -v (its request lines would tear the bar).
import type { FleetProgress } from '../gather/fleet.js';

export interface ProgressBar {
  update: FleetProgress;
  stop(): void;
}

/** Runs shorter than this never show a bar: it would only flicker. */
const SHOW_AFTER_MS = 300;

const NONE: ProgressBar = { update: () => undefined, stop: () => undefined };

export async function progressBar(stream: NodeJS.WriteStream | undefined, enabled: boolean): Promise<ProgressBar> {
  if (!enabled || !stream?.isTTY) return NONE;
  const { SingleBar } = await import('cli-progress');
  const bar = new SingleBar({
    stream,
    format: 'ns-doctor {bar} {value}/{total} {phase}',
    barsize: 30,
    clearOnComplete: true,
    hideCursor: true,
    fps: 10,
  });
  const started = Date.now();
  let shown = false;
  return {
    update(phase, done, total) {
      if (!shown) {
        if (Date.now() - started < SHOW_AFTER_MS) return;
        shown = true;
        bar.start(total, done, { phase });
        return;
      }
      bar.setTotal(total);
      bar.update(done, { phase });
    },
    stop() {
      if (shown) bar.stop();
    },
  };
}
