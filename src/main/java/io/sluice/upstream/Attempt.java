package io.sluice.upstream;

import io.netty.channel.Channel;
import io.sluice.balance.Endpoint;
import io.sluice.balance.EndpointState;
import io.sluice.pool.ConnectionPool;

/**
 * One try of a request on one endpoint: the connection it took and how far the exchange on it got. The
 * per-attempt half of {@link ProxyCall} (which keeps what belongs to the whole request: the body held for a
 * retry, the endpoints tried, whether the client's response started). One per call, {@link #reset} between
 * tries. Event-loop confined, like the call.
 */
final class Attempt {
    Endpoint endpoint;
    Channel channel;
    UpstreamHandler handler;
    long startNanos;
    /** The connection came from the pool (a reset on it says nothing about the endpoint). */
    boolean reusedConnection;
    /** Between {@link #begin} and {@link #end}: the endpoint counts it in flight. */
    boolean active;
    boolean requestSent;
    boolean headReceived;
    /** A 1xx head came: its empty end is dropped, the real head follows. */
    boolean interim;
    boolean upstreamKeepAlive;
    /** A 101 to an upgrade: the connection becomes a tunnel after the head. */
    boolean switching;

    /** Starts a try on {@code picked} (counted in flight until {@link #end}). */
    void begin(Endpoint picked, long now) {
        endpoint = picked;
        startNanos = now;
        active = true;
        picked.requestStarted();
    }

    /** The connection is there: its handler reports to {@code call} from now on. */
    void bind(Channel upstreamChannel, ProxyCall call) {
        channel = upstreamChannel;
        handler = upstreamChannel.pipeline().get(UpstreamHandler.class);
        handler.attach(call);
    }

    /** Clears what one try on a connection learnt, for the next try. */
    void reset() {
        channel = null;
        handler = null;
        requestSent = false;
        headReceived = false;
        interim = false;
        switching = false;
    }

    /** Ends the try exactly once: the connection back to the pool (or closed), the endpoint's in-flight count. */
    void end(boolean reuse, Upstream upstream) {
        if (!active) {
            return;
        }
        active = false;
        Channel c = channel; // park() or detach() below sets the connection's timer
        if (c != null) {
            // An endpoint that left the configuration (draining) gets no pooled connections: its pools
            // were retired at the reload, and nothing would ever take this one again. An h2 stream is
            // never reused (its connection is shared already).
            // With send_proxy_protocol a connection names one client in its PROXY header: never pooled.
            if (reuse && c.isActive() && c.parent() == null && endpoint.state() != EndpointState.DRAINING
                    && upstream.config().sendProxyProtocol() == io.sluice.config.UpstreamConfig.SendProxyProtocol.OFF) {
                ConnectionPool pool = upstream.connector().pools().of(endpoint);
                handler.park(pool);
                pool.offer(c);
                c.read(); // notice the upstream closing it while idle
            } else {
                handler.detach();
                c.close();
            }
        }
        endpoint.requestFinished();
    }
}
