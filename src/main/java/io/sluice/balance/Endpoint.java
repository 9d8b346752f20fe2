package io.sluice.balance;

import io.sluice.config.EndpointConfig;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One upstream server as the balancers see it: where it is, how much it weighs, whether it is in
 * service, and how busy it is. Shared by every event loop, so the counters are atomic.
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

    public void weight(int weight) {
        this.weight = weight;
    }

    public EndpointState state() {
        return state;
    }

    public void state(EndpointState state) {
        this.state = state;
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

    @Override
    public String toString() {
        return address;
    }
}
