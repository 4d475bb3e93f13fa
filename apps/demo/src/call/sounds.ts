/**
 * Ringback (the customer hears it while being connected) and the agent's ringtone, made with Web
 * Audio: no sound files. Browsers let a page play sound only after a click on it, so `unlock()`
 * runs on the first click (sign-in, "Start"); a tone asked for before that stays silent.
 */

let context: AudioContext | null = null;

function audio(): AudioContext | null {
  if (!context && typeof AudioContext !== 'undefined') context = new AudioContext();
  return context;
}

/** Call from a click handler: lets later tones play. */
export function unlock(): void {
  void audio()?.resume().catch(() => {});
}

interface Pattern {
  /** Frequencies played together. */
  hz: number[];
  /** On and off times in seconds, repeated. */
  on: number;
  off: number;
  /** Bursts within one "on": e.g. a ringtone's double ring. */
  bursts?: number;
  volume: number;
}

/** North American ringback: 440 + 480 Hz, 2 s on, 4 s off, quiet. */
const ringback: Pattern = { hz: [440, 480], on: 2, off: 4, volume: 0.05 };
/** A phone-like double ring: 2 × 0.4 s of 800 + 1000 Hz every 2 s. */
const ringtone: Pattern = { hz: [800, 1000], on: 1, off: 1, bursts: 2, volume: 0.08 };

export interface Tone {
  stop(): void;
  readonly playing: boolean;
}

function play(pattern: Pattern): Tone {
  const ctx = audio();
  if (!ctx) return { stop() {}, playing: false };
  const gain = ctx.createGain();
  gain.gain.value = 0;
  gain.connect(ctx.destination);
  const oscillators = pattern.hz.map((hz) => {
    const oscillator = ctx.createOscillator();
    oscillator.frequency.value = hz;
    oscillator.connect(gain);
    oscillator.start();
    return oscillator;
  });
  const cycle = pattern.on + pattern.off;
  const bursts = pattern.bursts ?? 1;
  const schedule = (from: number): void => {
    for (let i = 0; i < bursts; i++) {
      const start = from + (i * pattern.on) / bursts;
      const end = start + (pattern.on / bursts) * (bursts > 1 ? 0.8 : 1);
      gain.gain.setValueAtTime(pattern.volume, start);
      gain.gain.setValueAtTime(0, end);
    }
  };
  let next = ctx.currentTime + 0.05;
  schedule(next);
  const timer = setInterval(() => {
    next += cycle;
    schedule(next);
  }, cycle * 1000);
  let playing = true;
  return {
    get playing() {
      return playing;
    },
    stop() {
      if (!playing) return;
      playing = false;
      clearInterval(timer);
      gain.gain.cancelScheduledValues(0);
      gain.gain.value = 0;
      for (const oscillator of oscillators) oscillator.stop();
      gain.disconnect();
    },
  };
}

export const playRingback = (): Tone => play(ringback);
export const playRingtone = (): Tone => play(ringtone);
