package io.sluice.balance;

import io.sluice.config.EndpointConfig;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * One upstream server as the balancers see it: where it is, how much it weighs, whether it is in
 * service, and how busy it is. Shared by every event loop, so the counters are atomic.
 *
 * <p>What the proxy core reports, per attempt: {@link #requestStarted()} when the request is handed
 * to this endpoint, {@link #recordLatency(long, long)} when the response head arrives (or the response
 * timeout fires), and {@link #requestFinished()} exactly once when the attempt ends, however it ends.
 *
 * <p>Balancers do not poll {@link #state()} and {@link #weight()} on every pick: they keep an immutable
 * snapshot and rebuild it when a change counter moves. {@link #state(EndpointState)} and
 * {@link #weight(int)} bump the counters of every {@link EndpointSet} this endpoint belongs to,
 * after the new value is written, so a balancer that sees the old counter rebuilds on its next pick.
 */
public final class Endpoint {
    private final String address;
    private final InetSocketAddress socketAddress;
    private final boolean tls;
    private final int index;
    private volatile int weight;
    private volatile EndpointState state = EndpointState.HEALTHY;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder requestsTotal = new LongAdder();
    private final PeakEwma latency = new PeakEwma(PeakEwma.DEFAULT_DECAY_NANOS);
    /** The change counters of the endpoint sets this endpoint is in; copy-on-write, guarded by this. */
    private volatile AtomicLong[] watchers = new AtomicLong[0];

    /**
     * @param index the endpoint's position in its upstream's list: balancers break ties with it and
     *              the pool uses it as a key.
     */
    public Endpoint(EndpointConfig config, int index) {
        this.address = config.address();
        this.socketAddress = InetSocketAddress.createUnresolved(config.host(), config.port());
        this.tls = config.tls();
        this.weight = config.weight();
        this.index = index;
    }

    /** The address as configured, e.g. {@code 127.0.0.1:9001}: the label metrics and the admin API use. */
    public String address() {
        return address;
    }

    /** Unresolved: Netty resolves it off the caller's thread when connecting. */
    public InetSocketAddress socketAddress() {
        return socketAddress;
    }

    public boolean tls() {
        return tls;
    }

    public int index() {
        return index;
    }

    public int weight() {
        return weight;
    }

    /**
     * Changes the weight (admin API, slow start). 0 keeps the endpoint in service for the balancers that
     * ignore weights and out of the weighted ones.
     */
    public void weight(int weight) {
        if (weight < 0) {
            throw new IllegalArgumentException("weight: " + weight + " (expected: >= 0)");
        }
        if (this.weight != weight) {
            this.weight = weight;
            changed();
        }
    }

    public EndpointState state() {
        return state;
    }

    public void state(EndpointState state) {
        if (this.state != state) {
            this.state = state;
            changed();
        }
    }

    public boolean inService() {
        return state == EndpointState.HEALTHY;
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
