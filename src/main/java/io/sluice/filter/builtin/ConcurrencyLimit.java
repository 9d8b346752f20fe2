package io.sluice.filter.builtin;

import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterContext;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSettings;
import io.sluice.filter.api.FilterSetup;
import io.sluice.filter.api.RequestKey;
import io.sluice.filter.api.Verdict;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code concurrency_limit}: at most {@code max} requests per key value in progress at once, from admission
 * until the response is complete or the client is gone; up to {@code queue} more wait, first come first
 * served, for at most {@code queue_timeout}; one that finds the queue full, or waits that long, is answered
 * 503. The design notes' MAX_WORKERS / MAX_QUEUE pool, without a blocked thread: a queued request is a
 * {@link Verdict#later} completed when a slot frees, and a client that leaves gives its place back.
 *
 * <p>Slots and queues are kept across reloads: requests admitted or queued under the old configuration are
 * counted against the new {@code max}, and a larger {@code max} admits waiting ones at once.
 */
public final class ConcurrencyLimit implements FilterFactory<ConcurrencyLimit.Settings> {

    public record Settings(int max, RequestKey key, int queue, Duration queueTimeout) {
    }

    @Override
    public String type() {
        return "concurrency_limit";
    }

    @Override
    public List<String> keys() {
        return List.of("max", "key", "queue", "queue_timeout");
    }

    @Override
    public Settings configure(FilterSettings s) {
        boolean hasMax = s.require("max");
        int max = s.integer("max", 0, 1, Integer.MAX_VALUE);
        RequestKey key = s.value("key", RequestKey.parse("route"), RequestKey::parse);
        int queue = s.integer("queue", 0, 0, Integer.MAX_VALUE);
        Duration timeout = s.duration("queue_timeout", Duration.ofSeconds(1));
        if (timeout.isZero() || timeout.isNegative()) {
            s.error("queue_timeout", "queue_timeout must be more than 0 (e.g. 1s)");
        }
        return hasMax && max > 0 ? new Settings(max, key, queue, timeout) : null;
    }

    @Override
    public Filter create(Settings settings, FilterSetup setup) {
        Pools pools = setup.keep("pools", Pools.class, Pools::new);
        pools.resize(settings.max());
        return new Gate(settings, pools);
    }

    /** Every key value's pool of one filter, kept across reloads. */
    static final class Pools {
        final ConcurrentHashMap<String, Pool> byKey = new ConcurrentHashMap<>();
        volatile int max;

        /** A reload changed {@code max}: pools take it, and a larger one admits waiting requests now. */
        void resize(int newMax) {
            max = newMax;
            for (Pool pool : byKey.values()) {
                pool.admitWaiting(this);
            }
        }
    }

    /** A request waiting for a slot; completed (admitted or refused) exactly once, under the pool's lock. */
    static final class Waiter {
        final CompletableFuture<Verdict> verdict = new CompletableFuture<>();
        ScheduledFuture<?> timer;
        boolean admitted;
        boolean gone;
    }

    /** The slots and the queue of one key value. All state under its own lock; event loops of any thread meet here. */
    static final class Pool {
        private final String key;
        private int inFlight;
        private final ArrayDeque<Waiter> queue = new ArrayDeque<>();
        private boolean dead; // removed from the map when idle: a request that finds it dead looks again

        Pool(String key) {
            this.key = key;
        }

        /** A request finished (or its client left after admission): its slot goes to the next in the queue. */
        void release(Pools pools) {
            synchronized (this) {
                inFlight--;
            }
            admitWaiting(pools);
        }

        void admitWaiting(Pools pools) {
            List<Waiter> admitted = null;
            synchronized (this) {
                while (inFlight < pools.max && !queue.isEmpty()) {
                    Waiter w = queue.poll();
                    w.admitted = true;
                    inFlight++;
                    if (admitted == null) {
                        admitted = new ArrayList<>(2);
                    }
                    admitted.add(w);
                }
                if (inFlight == 0 && queue.isEmpty() && !dead) {
                    dead = true;
                    pools.byKey.remove(key, this);
                }
            }
            if (admitted != null) {
                for (Waiter w : admitted) { // completed outside the lock: each resumes on its own event loop
                    if (w.timer != null) {
                        w.timer.cancel(false);
                    }
                    w.verdict.complete(Verdict.next());
                }
            }
        }
    }

    static final class Gate implements Filter {
        private final Settings settings;
        private final Pools pools;

        Gate(Settings settings, Pools pools) {
            this.settings = settings;
            this.pools = pools;
        }

        @Override
        public Verdict onRequest(FilterContext context) {
            String value = settings.key().of(context);
            if (value == null) {
                return Verdict.next(); // a request without the key is not counted
            }
            while (true) {
                Pool pool = pools.byKey.computeIfAbsent(value, Pool::new);
                synchronized (pool) {
                    if (pool.dead) {
                        continue;
                    }
                    if (pool.inFlight < pools.max && pool.queue.isEmpty()) {
                        pool.inFlight++;
                        context.onEnd(() -> pool.release(pools));
                        return Verdict.next();
                    }
                    if (pool.queue.size() >= settings.queue()) {
                        return Verdict.answer(503, settings.queue() == 0 ? "too many requests in progress"
                                : "too many requests waiting");
                    }
                    Waiter waiter = new Waiter();
                    pool.queue.add(waiter);
                    waiter.timer = context.executor().schedule(() -> timedOut(pool, waiter),
                            settings.queueTimeout().toNanos(), TimeUnit.NANOSECONDS);
                    context.onEnd(() -> ended(pool, waiter));
                    return Verdict.later(waiter.verdict);
                }
            }
        }

        private void timedOut(Pool pool, Waiter waiter) {
            synchronized (pool) {
                if (waiter.admitted || !pool.queue.remove(waiter)) {
                    return;
                }
            }
            waiter.verdict.complete(Verdict.answer(503, "no free slot within " + settings.queueTimeout().toMillis()
                    + " ms"));
            pool.admitWaiting(pools); // nothing to admit, but an idle pool is dropped
        }

        /** The request ended (its response is complete, or its client left while it waited or after). */
        private void ended(Pool pool, Waiter waiter) {
            boolean admitted;
            synchronized (pool) {
                waiter.gone = true;
                admitted = waiter.admitted;
                if (!admitted) {
                    pool.queue.remove(waiter); // a client that leaves the queue frees its place
                }
            }
            if (waiter.timer != null) {
                waiter.timer.cancel(false);
            }
            if (admitted) {
                pool.release(pools);
            } else {
                pool.admitWaiting(pools);
            }
        }
    }
}
