/** The connection's quality, read from WebRTC statistics: round-trip time and packet loss. */

export type QualityLevel = 'good' | 'fair' | 'poor' | 'unknown';

export interface Quality {
  level: QualityLevel;
  /** Round-trip time of the active candidate pair, ms. */
  rttMs: number | null;
  /** Packets lost of those expected since the last reading, 0–100 %. */
  lossPercent: number | null;
}

interface Counters {
  received: number;
  lost: number;
}

function levelOf(rttMs: number | null, lossPercent: number | null): QualityLevel {
  if (rttMs === null && lossPercent === null) return 'unknown';
  const rtt = rttMs ?? 0;
  const loss = lossPercent ?? 0;
  if (rtt > 500 || loss > 8) return 'poor';
  if (rtt > 250 || loss > 2) return 'fair';
  return 'good';
}

/** Reads `pc`'s statistics every `everyMs` and reports the quality; returns a stop function. */
export function watchQuality(pc: RTCPeerConnection, report: (quality: Quality) => void, everyMs = 2000): () => void {
  let last: Counters | null = null;
  let stopped = false;
  const read = async (): Promise<void> => {
    if (stopped || pc.connectionState === 'closed') return;
    let rttMs: number | null = null;
    const now: Counters = { received: 0, lost: 0 };
    const stats = await pc.getStats().catch(() => null);
    stats?.forEach((entry: { type: string; state?: string; nominated?: boolean; currentRoundTripTime?: number; packetsReceived?: number; packetsLost?: number }) => {
      if (entry.type === 'candidate-pair' && entry.state === 'succeeded' && entry.nominated && entry.currentRoundTripTime !== undefined) {
        rttMs = Math.round(entry.currentRoundTripTime * 1000);
      }
      if (entry.type === 'inbound-rtp') {
        now.received += entry.packetsReceived ?? 0;
        now.lost += Math.max(0, entry.packetsLost ?? 0);
      }
    });
    let lossPercent: number | null = null;
    if (last) {
      const received = now.received - last.received;
      const lost = now.lost - last.lost;
      if (received + lost > 0) lossPercent = Math.round((lost / (received + lost)) * 1000) / 10;
    }
    last = now;
    if (!stopped) report({ level: levelOf(rttMs, lossPercent), rttMs, lossPercent });
  };
  const timer = setInterval(() => void read(), everyMs);
  void read();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}

const words: Record<QualityLevel, string> = { good: 'Good connection', fair: 'Fair connection', poor: 'Poor connection', unknown: 'Checking connection…' };

/** "Good connection · 42 ms · 0% loss". */
export function describeQuality(quality: Quality): string {
  const parts = [words[quality.level]];
  if (quality.rttMs !== null) parts.push(`${quality.rttMs} ms`);
  if (quality.lossPercent !== null) parts.push(`${quality.lossPercent}% loss`);
  return parts.join(' · ');
}
