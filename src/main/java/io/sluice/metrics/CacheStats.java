package io.sluice.metrics;

import java.util.concurrent.atomic.LongAdder;

/**
 * What one {@code cache} filter did with its requests, for {@code sluice_cache_requests_total}, and what its
 * memory level holds. Kept by the filter's store across reloads.
 */
public final class CacheStats {
    /** Answered from the cache (a fresh stored response, or a 304 from one). */
    public final LongAdder hit = new LongAdder();
    /** Nothing stored: went upstream. */
    public final LongAdder miss = new LongAdder();
    /** A stale stored response: went upstream, and the upstream sent a new one (or the entry had no validator). */
    public final LongAdder stale = new LongAdder();
    /** A stale stored response the upstream confirmed (304): answered from the cache, refreshed. */
    public final LongAdder revalidated = new LongAdder();
    /** The request's own Cache-Control (no-cache, max-age) would not take a stored response: went upstream. */
    public final LongAdder request = new LongAdder();
    /** A method the cache does not answer (not GET or HEAD). */
    public final LongAdder method = new LongAdder();

    /** The memory level now: bytes (as weighed) and responses; for the gauges. */
    public interface Memory {
        long bytes();

        long entries();
    }

    private final String listener;
    private final String route;
    private volatile Memory memory;

    public CacheStats(String listener, String route) {
        this.listener = listener;
        this.route = route;
    }

    public String listener() {
        return listener;
    }

    public String route() {
        return route;
    }

    public Memory memory() {
        return memory;
    }

    public void memory(Memory memory) {
        this.memory = memory;
    }
}
