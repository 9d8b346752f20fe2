package io.sluice.upstream;

import io.sluice.config.RetryConfig;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * An upstream's retry budget (Finagle's and Linkerd's idea): a retry is allowed while the retries of the
 * last {@link RetryConfig#BUDGET_WINDOW_SECONDS} seconds stay under {@code budget} times the requests of
 * those seconds, or while this second has seen fewer than {@code min_retries_per_second} retries (so a
 * quiet upstream can still retry). It stops retry storms: when an upstream fails every request, at most
 * about {@code budget} of them are retried.
 *
 * <p>Any thread, no lock: one bucket per second in a ring, each stamped with its second; a bucket that
 * turns over is cleared by whoever gets there first. Races can lose or double a count at a turnover,
 * which a budget can afford.
 */
final class RetryBudget {
    private static final int WINDOW = RetryConfig.BUDGET_WINDOW_SECONDS;

    private final double ratio;
    private final int minPerSecond;
    private final LongSupplier nanoTime;
    private final AtomicLongArray stamps = new AtomicLongArray(WINDOW);
    private final AtomicLongArray requests = new AtomicLongArray(WINDOW);
    private final AtomicLongArray retries = new AtomicLongArray(WINDOW);

    RetryBudget(RetryConfig config, LongSupplier nanoTime) {
        this.ratio = config.budget();
        this.minPerSecond = config.minRetriesPerSecond();
        this.nanoTime = nanoTime;
        for (int i = 0; i < WINDOW; i++) {
            stamps.set(i, Long.MIN_VALUE);
        }
    }

    /** A client request reached the upstream (counted once, however many attempts it takes). */
    void request() {
        requests.incrementAndGet(bucket(second()));
    }

    /** Takes a retry from the budget; false when it is spent. */
    boolean tryRetry() {
        long now = second();
        int current = bucket(now);
        long req = 0;
        long ret = 0;
        for (int i = 0; i < WINDOW; i++) {
            long stamp = stamps.get(i);
            if (stamp > now - WINDOW && stamp <= now) {
                req += requests.get(i);
                ret += retries.get(i);
            }
        }
        if (ret < ratio * req || retries.get(current) < minPerSecond) {
            retries.incrementAndGet(current);
            return true;
        }
        return false;
    }

    private long second() {
        return Math.floorDiv(nanoTime.getAsLong(), 1_000_000_000L);
    }

    /** The bucket of second {@code s}, cleared first when it still holds an older second. */
    private int bucket(long s) {
        int i = (int) Math.floorMod(s, (long) WINDOW);
        long stamp = stamps.get(i);
        if (stamp != s && stamps.compareAndSet(i, stamp, s)) {
            requests.set(i, 0);
            retries.set(i, 0);
        }
        return i;
    }
}
