package io.sluice.metrics;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * The last minute of one endpoint, for people (the status page): a ring of 60 per-second buckets, each
 * with a request count, an error count and a small log-scale latency histogram (4 sub-buckets per power
 * of two of microseconds, so a percentile read from it is within about 19% of the true value).
 *
 * <p>Written from every event loop with plain atomics, no lock and no allocation. A bucket is reused
 * when its second comes round again: the first writer of the new second swaps the stamp and clears the
 * counters. A write racing that clear (another loop writing the same bucket in the same microseconds)
 * can be lost; that is the price of no lock, and it only touches the status page, never the Prometheus
 * counters. Read by the admin server, once a second per viewer.
 */
public final class EndpointStats {
    public static final int SECONDS = 60;
    /** Latencies at or above 2^25 µs (about 34 s) share the last bucket. */
    static final int MAX_OCTAVE = 25;
    static final int LATENCY_BUCKETS = 4 * MAX_OCTAVE;
    private static final int COUNT = 0;
    private static final int ERRORS = 1;
    private static final int FIRST_BUCKET = 2;
    private static final int STRIDE = FIRST_BUCKET + LATENCY_BUCKETS;

    private final LongSupplier nanoTime;
    private final AtomicLongArray stamps = new AtomicLongArray(SECONDS);
    private final AtomicIntegerArray data = new AtomicIntegerArray(SECONDS * STRIDE);

    public EndpointStats(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        for (int i = 0; i < SECONDS; i++) {
            stamps.set(i, Long.MIN_VALUE);
        }
    }

    /** One finished request (a status at or above 500 counts as an error). Any thread. */
    public void record(int status, long durationNanos) {
        int base = bucket(second());
        data.incrementAndGet(base + COUNT);
        if (status >= 500 || status < 100) {
            data.incrementAndGet(base + ERRORS);
        }
        data.incrementAndGet(base + FIRST_BUCKET + latencyBucket(Math.max(0, durationNanos) / 1000));
    }

    /** An attempt that got no response (refused, reset, timed out): a request and an error, no latency. */
    public void failure() {
        int base = bucket(second());
        data.incrementAndGet(base + COUNT);
        data.incrementAndGet(base + ERRORS);
    }

    private long second() {
        return Math.floorDiv(nanoTime.getAsLong(), 1_000_000_000L);
    }

    /** The data offset of {@code second}'s bucket, cleared first if it still holds an older second. */
    private int bucket(long second) {
        int slot = (int) Math.floorMod(second, (long) SECONDS);
        long stamp = stamps.get(slot);
        if (stamp != second && stamp < second && stamps.compareAndSet(slot, stamp, second)) {
            int base = slot * STRIDE;
            for (int i = 0; i < STRIDE; i++) {
                data.set(base + i, 0);
            }
        }
        return slot * STRIDE;
    }

    /** 0-3 for 0-3 µs; then 4 buckets per power of two. */
    static int latencyBucket(long micros) {
        if (micros < 4) {
            return (int) micros;
        }
        int msb = 63 - Long.numberOfLeadingZeros(micros);
        if (msb >= MAX_OCTAVE) {
            return LATENCY_BUCKETS - 1;
        }
        int sub = (int) (micros >>> (msb - 2)) & 3;
        return 4 * (msb - 1) + sub;
    }

    /** The upper bound in microseconds of a latency bucket. */
    static long bucketUpperMicros(int bucket) {
        if (bucket < 4) {
            return bucket + 1;
        }
        int msb = bucket / 4 + 1;
        int sub = bucket % 4;
        return (long) (4 + sub + 1) << (msb - 2);
    }

    /**
     * The last {@link #SECONDS} complete seconds (the current one is still filling). Allocates; for the
     * admin server.
     */
    public Snapshot snapshot() {
        long now = second();
        int[] perSecond = new int[SECONDS];
        int[] errorsPerSecond = new int[SECONDS];
        long[] latency = new long[LATENCY_BUCKETS];
        long count = 0;
        long errors = 0;
        for (int i = 0; i < SECONDS; i++) {
            long second = now - SECONDS + i;
            int slot = (int) Math.floorMod(second, (long) SECONDS);
            if (stamps.get(slot) != second) {
                continue;
            }
            int base = slot * STRIDE;
            perSecond[i] = data.get(base + COUNT);
            errorsPerSecond[i] = data.get(base + ERRORS);
            count += perSecond[i];
            errors += errorsPerSecond[i];
            for (int b = 0; b < LATENCY_BUCKETS; b++) {
                latency[b] += data.get(base + FIRST_BUCKET + b);
            }
        }
        return new Snapshot(perSecond, errorsPerSecond, count, errors,
                percentileMillis(latency, 0.50), percentileMillis(latency, 0.99));
    }

    /** NaN when nothing was measured. */
    private static double percentileMillis(long[] latency, double q) {
        long total = 0;
        for (long n : latency) {
            total += n;
        }
        if (total == 0) {
            return Double.NaN;
        }
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (int b = 0; b < latency.length; b++) {
            seen += latency[b];
            if (seen >= rank) {
                return bucketUpperMicros(b) / 1000.0;
            }
        }
        return bucketUpperMicros(latency.length - 1) / 1000.0;
    }

    /**
     * The last minute: requests and errors per second (oldest first), their sums, and the median and
     * 99th percentile latency in milliseconds (upper bounds of their buckets; NaN with no requests).
     */
    public record Snapshot(int[] perSecond, int[] errorsPerSecond, long requests, long errors, double p50Millis,
                           double p99Millis) {
        public double requestsPerSecond() {
            return requests / (double) SECONDS;
        }

        public double errorRate() {
            return requests == 0 ? 0 : errors / (double) requests;
        }
    }
}
