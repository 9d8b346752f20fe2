package io.sluice.balance;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One endpoint's peak-sensitive exponentially weighted moving average of response latency, as in
 * Finagle's {@code PeakEwma} and Linkerd's proxy: a sample above the average replaces it at once (the
 * peak), a sample below pulls it down with weight {@code 1 - exp(-elapsed / decay)}, and between
 * samples it decays toward 0, so an endpoint that was slow once gets traffic again.
 *
 * <p>Lock-free: the average (a float, in nanoseconds) and the time of the last sample (in units of
 * 2^20 ns, about 1.05 ms, 32 bits: it wraps after about 52 days, which only costs one sample's decay)
 * share one {@code long}, updated by compare-and-set. Reading never writes.
 */
final class PeakEwma {
    static final long DEFAULT_DECAY_NANOS = 10_000_000_000L;
    private static final int STAMP_SHIFT = 20;

    private final double decayUnits;
    private final AtomicLong packed = new AtomicLong();

    PeakEwma(long decayNanos) {
        if (decayNanos <= 0) {
            throw new IllegalArgumentException("decay: " + decayNanos + "ns (expected: > 0)");
        }
        this.decayUnits = (double) decayNanos / (1L << STAMP_SHIFT);
    }

    void record(long latencyNanos, long nowNanos) {
        double sample = Math.max(0, latencyNanos);
        int now = stamp(nowNanos);
        while (true) {
            long old = packed.get();
            double cost = costOf(old);
            double next;
            if (sample > cost) {
                next = sample;
            } else {
                double w = weightOfOld(old, now);
                next = cost * w + sample * (1 - w);
            }
            if (packed.compareAndSet(old, pack(next, now))) {
                return;
            }
        }
    }

    /** The average as of {@code nowNanos}, decayed since the last sample; 0 before any sample. */
    double cost(long nowNanos) {
        long p = packed.get();
        if (p == 0) {
            return 0;
        }
        return costOf(p) * weightOfOld(p, stamp(nowNanos));
    }

    private double weightOfOld(long p, int now) {
        int elapsed = now - (int) p;
        // Negative: a caller's clock read before the last sample's (or a wrap); no decay.
        return elapsed <= 0 ? 1.0 : Math.exp(-elapsed / decayUnits);
    }

    private static int stamp(long nanos) {
        return (int) (nanos >> STAMP_SHIFT);
    }

    private static double costOf(long p) {
        return Float.intBitsToFloat((int) (p >>> 32));
    }

    private static long pack(double cost, int stamp) {
        return ((long) Float.floatToRawIntBits((float) cost) << 32) | (stamp & 0xFFFF_FFFFL);
    }
}
