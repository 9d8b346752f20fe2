package io.sluice.balance;

import io.netty.util.NetUtil;
import io.sluice.config.EndpointConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * One upstream server as the balancers see it: where it is, how much it weighs, whether it is in
 * service, and how busy it is. Shared by every event loop, so the counters are atomic.
 *
 * <p>What the proxy core reports, per attempt: {@link #requestStarted()} when the request is handed
 * to this endpoint, {@link #recordLatency(long, long)} when the response head arrives (or the response
 * timeout fires), and {@link #requestFinished()} exactly once when the attempt ends, however it ends.
 *
 * <p>Balancers do not poll {@link #state()} and {@link #effectiveWeight()} on every pick: they keep an
 * immutable snapshot and rebuild it when a change counter moves. Every change of state or effective
 * weight bumps the counters of every {@link EndpointSet} this endpoint belongs to, after the new value
 * is written, so a balancer that sees the old counter rebuilds on its next pick.
 *
 * <p><b>State</b> comes from several sources, one rule: the endpoint is in service iff no source holds
 * it out. Each source owns one bit ({@link #DRAINED} by the admin API, {@link #REMOVED} by a reload,
 * {@link #EJECTED} by passive checks, {@link #FAILING} by active checks); {@link #state()} is derived
 * from the bits (a drain shows over a failure) and {@link #inService()} is one volatile read.
 *
 * <p><b>Effective weight</b> (nginx's {@code effective_weight}, HAProxy's scaled weights) is what the
 * weighted balancers use, in units of 1/{@link #WEIGHT_SCALE} of the configured weight so that weight-1
 * endpoints can be lowered too: a failure lowers it by weight / max_failures (down to 10%), each
 * success raises it by weight / 16 back toward the configured weight, and slow start multiplies it by a
 * factor that ramps from 10% to 100% over the slow-start period after the endpoint comes back (moved by
 * {@link #tick()}, called a few times a second by a timer, never per request).
 */
public final class Endpoint {
    private final String address;
    private final String host;
    private final InetSocketAddress socketAddress;
    private final boolean tls;
    /** The path of the address ({@code http://host:port/base}), or null when it has none. */
    private final String basePath;
    private final int index;
    /** Scale of {@link #effectiveWeight()}: the configured weight w is {@code w * WEIGHT_SCALE}. */
    public static final int WEIGHT_SCALE = 16;
    /** Held out by the admin API ({@code .../drain}). */
    public static final int DRAINED = 1;
    /** Removed by a reload; finishes its requests in flight. */
    public static final int REMOVED = 2;
    /** Taken out by passive checks for {@code fail_timeout}. */
    public static final int EJECTED = 4;
    /** Failing active checks. */
    public static final int FAILING = 8;
    /** Set by {@link #state(EndpointState)} (tests and tools). */
    private static final int FORCED_OUT = 16;
    private static final int DRAINING_BITS = DRAINED | REMOVED;
    private static final long NOT_RAMPING = Long.MIN_VALUE;

    private final LongSupplier nanoTime;
    private volatile int weight;
    /** Bits of the sources holding the endpoint out; written under this, read freely. */
    private volatile int outBits;
    private volatile EndpointState state = EndpointState.HEALTHY;
    private volatile int effectiveWeight;
    /** Configured weight after failures, scaled; guarded by this. */
    private int failureWeight;
    /** When the current slow start began ({@link #NOT_RAMPING} when not ramping); guarded by this. */
    private long rampStart = NOT_RAMPING;
    private volatile long slowStartNanos;
    /** Per state, how often the endpoint entered it (metrics); guarded by this. */
    private final long[] stateChanges = new long[EndpointState.values().length];
    private volatile long passiveEjectedUntil;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder requestsTotal = new LongAdder();
    /** Active health check results, for sluice_health_checks_total. */
    private final LongAdder healthChecksPassed = new LongAdder();
    private final LongAdder healthChecksFailed = new LongAdder();
    private final PeakEwma latency = new PeakEwma(PeakEwma.DEFAULT_DECAY_NANOS);
    /** The change counters of the endpoint sets this endpoint is in; copy-on-write, guarded by this. */
    private volatile AtomicLong[] watchers = new AtomicLong[0];

    /**
     * @param index the endpoint's slot in its upstream: per-endpoint arrays (metrics, passive windows, sticky
     *              tokens) are indexed by it. It is the position in the list at first, and stays the
     *              object's when a reload or discovery moves the address (see {@link #slots}).
     */
    public Endpoint(EndpointConfig config, int index) {
        this(config, index, System::nanoTime);
    }

    /** @param nanoTime the clock of slow start and passive ejections ({@link System#nanoTime()} but in tests) */
    public Endpoint(EndpointConfig config, int index, LongSupplier nanoTime) {
        this.address = config.address();
        this.host = config.host();
        this.socketAddress = socketAddress(config.host(), config.port());
        this.tls = config.tls();
        this.basePath = config.basePath().isEmpty() ? null : config.basePath();
        this.weight = config.weight();
        this.index = index;
        this.nanoTime = nanoTime;
        this.failureWeight = weight * WEIGHT_SCALE;
        this.effectiveWeight = failureWeight;
    }

    /** The address as configured, e.g. {@code 127.0.0.1:9001}: the label metrics and the admin API use. */
    public String address() {
        return address;
    }

    /** The host as configured, without brackets: a name or an IP address; the TLS peer name. */
    public String host() {
        return host;
    }

    /**
     * Where to connect. An IP address is parsed here, once, and a connect goes straight to it; a name stays
     * unresolved, and each new connection looks it up through the connecting Bootstrap's resolver (Netty's
     * DNS client: cached per TTL, never blocking an event loop). Nothing is looked up here.
     */
    public InetSocketAddress socketAddress() {
        return socketAddress;
    }

    /** An IP address parsed (never looked up), a name left unresolved; IllegalArgumentException for a bad one. */
    public static InetSocketAddress socketAddress(String host, int port) {
        if (!NetUtil.isValidIpV4Address(host) && !NetUtil.isValidIpV6Address(host)) {
            return InetSocketAddress.createUnresolved(host, port);
        }
        InetAddress ip = NetUtil.createInetAddressFromIpAddressString(host);
        if (ip == null) {
            // IPv6 with a zone by interface name (fe80::1%eth0): the JDK parses it; with a ':' in it,
            // getByName never turns to DNS
            try {
                ip = InetAddress.getByName(host);
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("bad IP address '" + host + "': " + e.getMessage(), e);
            }
        }
        return new InetSocketAddress(ip, port);
    }

    public boolean tls() {
        return tls;
    }

    public int index() {
        return index;
    }

    /** The length of an array indexed by the slots of {@code endpoints}. */
    public static int slots(List<Endpoint> endpoints) {
        int n = 0;
        for (Endpoint e : endpoints) {
            n = Math.max(n, e.index() + 1);
        }
        return n;
    }

    /** {@code host:port} ({@code [v6]:port}): a Host header naming this endpoint. */
    public String authority() {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return h + ":" + socketAddress.getPort();
    }

    /** The path of the address ({@code /base} for {@code http://host:port/base}), or null when it has none. */
    public String basePath() {
        return basePath;
    }

    /**
     * The request target to send to this endpoint for {@code uri} (path and query, as forwarded): the base
     * path and the request path joined with one slash between them, the query kept, as Go's
     * {@code NewSingleHostReverseProxy} does ({@code /base} and {@code /x?a=1} give {@code /base/x?a=1}).
     * {@code uri} itself when the address has no path, and for {@code OPTIONS *}.
     */
    public String target(String uri) {
        if (basePath == null || !uri.startsWith("/")) {
            return uri;
        }
        return basePath.endsWith("/") ? basePath + uri.substring(1) : basePath + uri;
    }

    public int weight() {
        return weight;
    }

    /**
     * Changes the weight (admin API, slow start). 0 keeps the endpoint in service for the balancers that
     * ignore weights and out of the weighted ones.
     */
    public synchronized void weight(int weight) {
        if (weight < 0) {
            throw new IllegalArgumentException("weight: " + weight + " (expected: >= 0)");
        }
        if (this.weight != weight) {
            this.weight = weight;
            failureWeight = weight * WEIGHT_SCALE; // a new weight starts without failures
            if (!updateEffectiveWeight()) {
                changed(); // weight-ignoring snapshots may list weight 0 differently
            }
        }
    }

    /**
     * The weight the weighted balancers use, scaled by {@link #WEIGHT_SCALE}: {@code weight() *
     * WEIGHT_SCALE} when all is well, lower after failures and while slow start ramps; at least 1 unless
     * the weight is 0. One volatile read.
     */
    public int effectiveWeight() {
        return effectiveWeight;
    }

    public EndpointState state() {
        return state;
    }

    /**
     * For tests and tools: HEALTHY clears every source holding the endpoint out, UNHEALTHY holds it out
     * as a failed check would, DRAINING as a reload that removed it does.
     */
    public void state(EndpointState state) {
        switch (state) {
            case HEALTHY -> setOut(-1, false);
            case UNHEALTHY -> setOut(FORCED_OUT, true);
            case DRAINING -> setOut(REMOVED, true);
        }
    }

    /** Whether source {@code bit} ({@link #DRAINED}, {@link #REMOVED}, {@link #EJECTED}, {@link #FAILING}) holds it out. */
    public boolean isOut(int bit) {
        return (outBits & bit) != 0;
    }

    /**
     * Sets ({@code out}) or clears source {@code bit}; -1 with {@code out == false} clears all. Returns
     * the state before, so callers can log a change. Coming back into service starts slow start.
     */
    public synchronized EndpointState setOut(int bit, boolean out) {
        EndpointState before = state;
        int bits = out ? outBits | bit : outBits & ~bit;
        if (bits == outBits) {
            return before;
        }
        outBits = bits;
        EndpointState after = stateOf(bits);
        if (after != before) {
            state = after;
            stateChanges[after.ordinal()]++;
            if (after == EndpointState.HEALTHY && slowStartNanos > 0) {
                rampStart = nanoTime.getAsLong();
                updateEffectiveWeight();
            }
            changed();
        }
        return before;
    }

    private static EndpointState stateOf(int bits) {
        return (bits & DRAINING_BITS) != 0 ? EndpointState.DRAINING
                : bits != 0 ? EndpointState.UNHEALTHY : EndpointState.HEALTHY;
    }

    public boolean inService() {
        return state == EndpointState.HEALTHY;
    }

    /** How often the endpoint entered {@code state} (for {@code sluice_endpoint_state_changes_total}). */
    /** One active health check ended; any thread. */
    public void healthChecked(boolean passed) {
        (passed ? healthChecksPassed : healthChecksFailed).increment();
    }

    /** Active health checks that passed ({@code true}) or failed. */
    public long healthChecks(boolean passed) {
        return (passed ? healthChecksPassed : healthChecksFailed).sum();
    }

    public synchronized long stateChanges(EndpointState state) {
        return stateChanges[state.ordinal()];
    }

    // ------------------------------------------------------------ effective weight and slow start

    /**
     * Sets the upstream's slow-start period (0 = off); with {@code rampNow}, starts a ramp now (an
     * endpoint added to a running upstream by a reload).
     */
    public synchronized void slowStart(long periodNanos, boolean rampNow) {
        slowStartNanos = periodNanos;
        rampStart = periodNanos > 0 && rampNow ? nanoTime.getAsLong() : periodNanos > 0 ? rampStart : NOT_RAMPING;
        updateEffectiveWeight();
    }

    /** Whether slow start is ramping this endpoint up. */
    public synchronized boolean ramping() {
        return rampStart != NOT_RAMPING;
    }

    /** A request failed on this endpoint: lower the effective weight by weight / maxFailures, to 10%. */
    public synchronized void failed(int maxFailures) {
        int full = weight * WEIGHT_SCALE;
        int floor = Math.max(1, full / 10);
        int next = Math.max(floor, failureWeight - Math.max(1, full / Math.max(1, maxFailures)));
        if (next != failureWeight) {
            failureWeight = next;
            updateEffectiveWeight();
        }
    }

    /** A request succeeded: raise the effective weight one step (weight / 16) toward the configured one. */
    public void succeeded() {
        if (failureWeight >= weight * WEIGHT_SCALE) {
            return; // the common case: nothing to restore, no lock (a racy read errs toward the lock)
        }
        synchronized (this) {
            int full = weight * WEIGHT_SCALE;
            failureWeight = Math.min(full, failureWeight + Math.max(1, weight));
            updateEffectiveWeight();
        }
    }

    /** Moves slow start on; a timer calls it a few times a second. Cheap when not ramping. */
    public void tick() {
        if (slowStartNanos == 0) {
            return;
        }
        synchronized (this) {
            if (rampStart != NOT_RAMPING) {
                updateEffectiveWeight();
            }
        }
    }

    /** The slow-start factor: 0.1 at the start of the ramp, 1 at its end; ends the ramp there. Under this. */
    private double rampFactor() {
        if (rampStart == NOT_RAMPING) {
            return 1;
        }
        long elapsed = nanoTime.getAsLong() - rampStart;
        if (elapsed >= slowStartNanos || slowStartNanos == 0) {
            rampStart = NOT_RAMPING;
            return 1;
        }
        return 0.1 + 0.9 * Math.max(0, elapsed) / slowStartNanos;
    }

    /** Under this. Returns whether the effective weight changed (and the watchers were told). */
    private boolean updateEffectiveWeight() {
        int next = weight == 0 ? 0 : (int) Math.max(1, Math.round(failureWeight * rampFactor()));
        if (next == effectiveWeight) {
            return false;
        }
        effectiveWeight = next;
        changed();
        return true;
    }

    /** Until when (nanoTime) passive checks hold the endpoint out; for the tracker. */
    public long passiveEjectedUntil() {
        return passiveEjectedUntil;
    }

    public void passiveEjectedUntil(long nanos) {
        passiveEjectedUntil = nanos;
    }

    /** The clock this endpoint runs on. */
    public long nanoTime() {
        return nanoTime.getAsLong();
    }

    public int inFlight() {
        return inFlight.get();
    }

    public long requestsTotal() {
        return requestsTotal.sum();
    }

    /** Called when a request (or tcp connection) is sent to this endpoint. */
    public void requestStarted() {
        inFlight.incrementAndGet();
        requestsTotal.increment();
    }

    /** Called exactly once for each {@link #requestStarted()}. */
    public void requestFinished() {
        inFlight.decrementAndGet();
    }

    /**
     * Feeds {@link PeakEwmaBalancer}: the time from the request written upstream to the response head
     * ({@code latencyNanos}), observed at {@code nowNanos} ({@link System#nanoTime()}). Call it when the
     * response head arrives and when the response timeout fires (with the elapsed time); not for connect
     * refusals or resets, which would make a broken endpoint look fast. Lock-free; any thread.
     */
    public void recordLatency(long latencyNanos, long nowNanos) {
        latency.record(latencyNanos, nowNanos);
    }

    /**
     * The peak-EWMA latency in nanoseconds as of {@code nowNanos}, decayed toward 0 since the last
     * sample (decay time 10 s); 0 before the first sample. For the admin API and {@link PeakEwmaBalancer}.
     */
    public double latencyEwmaNanos(long nowNanos) {
        return latency.cost(nowNanos);
    }

    /** Makes {@code changes} move whenever this endpoint's state or weight changes. */
    synchronized void watch(AtomicLong changes) {
        AtomicLong[] current = watchers;
        for (AtomicLong w : current) {
            if (w == changes) {
                return;
            }
        }
        AtomicLong[] next = Arrays.copyOf(current, current.length + 1);
        next[current.length] = changes;
        watchers = next;
    }

    /** Undoes {@link #watch}: for an endpoint set that is discarded while its endpoints live on. */
    synchronized void unwatch(AtomicLong changes) {
        AtomicLong[] current = watchers;
        for (int i = 0; i < current.length; i++) {
            if (current[i] == changes) {
                AtomicLong[] next = new AtomicLong[current.length - 1];
                System.arraycopy(current, 0, next, 0, i);
                System.arraycopy(current, i + 1, next, i, current.length - i - 1);
                watchers = next;
                return;
            }
        }
    }

    private void changed() {
        for (AtomicLong w : watchers) {
            w.incrementAndGet();
        }
    }

    @Override
    public String toString() {
        return address;
    }
}
