package io.sluice.upstream;

import io.sluice.config.CircuitBreakerConfig;
import io.sluice.metrics.MeteredBreaker;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * An upstream's circuit breaker ({@code circuit_breaker:}): closed, open, half-open, as the contract
 * describes. Closed: every request passes and each attempt's outcome goes into a sliding window; a
 * failure that brings the window to at least {@code min_requests} attempts with at least
 * {@code failure_ratio} of them failed opens it. Open: every request is refused (the caller answers 503
 * and sends nothing upstream) for {@code open_for}. Then the first request to come turns it half-open and
 * is a trial; up to {@code half_open_requests} trials pass, the rest are refused; one failed trial opens
 * it again, all of them succeeding closes it with an empty window.
 *
 * <p>Shared by every event loop, without a lock. The window is {@link #BUCKETS} buckets of
 * {@code window / BUCKETS} each, one {@code long} per bucket packing the bucket's time slot, its attempts
 * and its failures, so recording an outcome is one compare-and-set (a bucket whose slot is stale is
 * restarted by the same CAS). The window is summed only when a failure is recorded. The state is one
 * {@link AtomicInteger}; transitions are compare-and-sets, so exactly one thread makes each.
 *
 * <p>Outcomes of requests admitted before the breaker opened that end while it is open or half-open only
 * go into the window: only trials decide the half-open state, and only the trials of the current half-open
 * round. A trial's ticket names its round, so a slow trial from an earlier round (the breaker opened again,
 * and half-opened again, while it waited) neither decides nor, abandoned, widens the current one.
 */
public final class CircuitBreaker implements MeteredBreaker {
    /** What {@link #admit()} decided: refused, passed, or (any value above {@link #PASSED}) a trial's ticket. */
    public static final int REFUSED = 0;
    public static final int PASSED = 1;
    private static final int ROUND_MASK = Integer.MAX_VALUE >>> 1;

    public enum State {
        CLOSED("closed"), OPEN("open"), HALF_OPEN("half_open");

        private final String label;

        State(String label) {
            this.label = label;
        }

        /** As {@code /api/upstreams} and {@code /metrics} show it. */
        public String label() {
            return label;
        }
    }

    static final int BUCKETS = 10;
    private static final int COUNT_BITS = 20;
    private static final long COUNT_MAX = (1L << COUNT_BITS) - 1;
    private static final long SLOT_MASK = (1L << 24) - 1;
    private static final State[] STATES = State.values();
    private static final List<String> LABELS = java.util.Arrays.stream(STATES).map(State::label).toList();

    private final CircuitBreakerConfig config;
    private final LongSupplier nanoTime;
    private final long bucketNanos;
    /** Per bucket: slot (24 bits) | attempts (20 bits) | failures (20 bits). */
    private final AtomicLongArray buckets = new AtomicLongArray(BUCKETS);
    private final AtomicInteger state = new AtomicInteger(State.CLOSED.ordinal());
    private volatile long openUntil;
    /** The current half-open round; changed only by the thread that half-opens the breaker, before any trial. */
    private volatile int round;
    private final AtomicInteger trialsLeft = new AtomicInteger();
    private final AtomicInteger trialSuccesses = new AtomicInteger();
    private final LongAdder refused = new LongAdder();
    private final LongAdder opened = new LongAdder();

    public CircuitBreaker(CircuitBreakerConfig config, LongSupplier nanoTime) {
        this(config, nanoTime, null);
    }

    /**
     * @param before the breaker of the same upstream whose settings a reload changed, or null: its counters go
     *               on here (counters in {@code /metrics} never go back), its state starts over (closed)
     */
    public CircuitBreaker(CircuitBreakerConfig config, LongSupplier nanoTime, CircuitBreaker before) {
        this.config = config;
        this.nanoTime = nanoTime;
        this.bucketNanos = Math.max(1, config.window().toNanos() / BUCKETS);
        if (before != null) {
            refused.add(before.refused());
            opened.add(before.opened());
        }
    }

    public CircuitBreakerConfig config() {
        return config;
    }

    public State state() {
        return STATES[state.get()];
    }

    @Override
    public List<String> stateLabels() {
        return LABELS;
    }

    @Override
    public String stateLabel() {
        return state().label();
    }

    /** Requests refused while open or half-open (for {@code /metrics}). */
    @Override
    public long refused() {
        return refused.sum();
    }

    /** Times the breaker opened (for {@code /metrics}). */
    @Override
    public long opened() {
        return opened.sum();
    }

    /** Whether {@link #admit()}'s answer admits a trial. */
    public static boolean isTrial(int admitted) {
        return admitted > PASSED;
    }

    private int ticket() {
        return PASSED + 1 + round;
    }

    private boolean current(int ticket) {
        return ticket == ticket() && state.get() == State.HALF_OPEN.ordinal();
    }

    /**
     * Whether a request may go upstream: {@link #PASSED}, a trial's ticket ({@link #isTrial}: its first outcome
     * must be reported with the ticket, or the trial handed back with {@link #trialAbandoned(int)}), or
     * {@link #REFUSED}. Closed: one volatile read.
     */
    public int admit() {
        int s = state.get();
        if (s == State.CLOSED.ordinal()) {
            return PASSED;
        }
        if (s == State.OPEN.ordinal()) {
            if (nanoTime.getAsLong() - openUntil < 0) {
                refused.increment();
                return REFUSED;
            }
            if (state.compareAndSet(s, State.HALF_OPEN.ordinal())) {
                round = (round + 1) & ROUND_MASK; // before trialsLeft: whoever takes a trial reads this round
                trialSuccesses.set(0);
                trialsLeft.set(config.halfOpenRequests() - 1);
                return ticket();
            }
            s = state.get();
        }
        if (s == State.HALF_OPEN.ordinal()) {
            int left;
            while ((left = trialsLeft.get()) > 0) {
                if (trialsLeft.compareAndSet(left, left - 1)) {
                    return ticket();
                }
            }
        } else if (s == State.CLOSED.ordinal()) {
            return PASSED; // closed meanwhile
        }
        refused.increment();
        return REFUSED;
    }

    /**
     * The outcome of one attempt; {@code admitted}: what {@link #admit()} answered the request, a trial's ticket
     * for its first outcome (and {@link #PASSED} for any later one).
     */
    public void record(boolean failure, int admitted) {
        long now = nanoTime.getAsLong();
        add(now, failure);
        if (isTrial(admitted) && state.get() != State.CLOSED.ordinal()) {
            if (!current(admitted)) {
                return; // a trial of an earlier round: only the window
            }
            if (failure) {
                open(State.HALF_OPEN, now);
            } else if (trialSuccesses.incrementAndGet() >= config.halfOpenRequests()) {
                clearWindow();
                state.compareAndSet(State.HALF_OPEN.ordinal(), State.CLOSED.ordinal());
            }
            return;
        }
        if (failure && state.get() == State.CLOSED.ordinal() && tripped(now)) {
            open(State.CLOSED, now);
        }
    }

    /** A trial ended without an outcome (the client left, nothing to send it to): another of its round may try. */
    public void trialAbandoned(int ticket) {
        if (current(ticket)) {
            trialsLeft.incrementAndGet();
        }
    }

    private void open(State from, long now) {
        trialsLeft.set(0); // no stale permit lets a request through between the CAS and the next half-open
        openUntil = now + config.openFor().toNanos();
        if (state.compareAndSet(from.ordinal(), State.OPEN.ordinal())) {
            opened.increment();
        }
    }

    private boolean tripped(long now) {
        long slot = Math.floorDiv(now, bucketNanos);
        long attempts = 0;
        long failures = 0;
        for (int i = 0; i < BUCKETS; i++) {
            long v = buckets.get(i);
            long age = (slot - (v >>> (2 * COUNT_BITS))) & SLOT_MASK;
            if (age < BUCKETS) {
                attempts += (v >>> COUNT_BITS) & COUNT_MAX;
                failures += v & COUNT_MAX;
            }
        }
        return attempts >= config.minRequests() && failures >= config.failureRatio() * attempts;
    }

    private void add(long now, boolean failure) {
        long slot = Math.floorDiv(now, bucketNanos);
        int i = (int) Math.floorMod(slot, BUCKETS);
        long slotBits = (slot & SLOT_MASK) << (2 * COUNT_BITS);
        while (true) {
            long v = buckets.get(i);
            long next;
            if ((v & (SLOT_MASK << (2 * COUNT_BITS))) != slotBits) {
                next = slotBits | (1L << COUNT_BITS) | (failure ? 1 : 0); // a stale bucket starts over
            } else {
                long attempts = Math.min(COUNT_MAX, ((v >>> COUNT_BITS) & COUNT_MAX) + 1);
                long failures = Math.min(COUNT_MAX, (v & COUNT_MAX) + (failure ? 1 : 0));
                next = slotBits | (attempts << COUNT_BITS) | failures;
            }
            if (buckets.compareAndSet(i, v, next)) {
                return;
            }
        }
    }

    private void clearWindow() {
        for (int i = 0; i < BUCKETS; i++) {
            buckets.set(i, 0);
        }
    }
}
