package io.sluice.upstream;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpObject;
import io.sluice.balance.Endpoint;
import io.sluice.balance.EndpointState;
import io.sluice.pool.ConnectionPool;

/**
 * One try of a request on one endpoint: the endpoint (which counts it in flight until it ends), the
 * connection it got (pooled or new) with that connection's handler and timer, and how far the exchange got
 * on it. Its {@link ProxyCall}, the request's forwarder, makes a new one for every try and decides what
 * follows from what happens on it; an attempt knows nothing of retries, the body kept for them or the
 * client.
 *
 * <p>Runs on the client connection's event loop, as its call does.
 */
final class Attempt {
    final Endpoint endpoint;
    /** When the try began: the connect, the response head and the endpoint's latency are timed from here. */
    final long startNanos;
    /** Until {@link #end}: the endpoint counts the try in flight and the connection is the attempt's. */
    boolean active = true;
    /** The connection came from a pool: the upstream closing it just then says nothing about the endpoint. */
    boolean reusedConnection;
    /** Null while connecting. */
    Channel channel;
    UpstreamHandler handler;
    /** The request head was written; body parts go straight to the connection from then on. */
    boolean requestSent;
    /** A final response head came (not a 1xx). */
    boolean headReceived;
    /** Between a 1xx head and the empty last part the decoder follows it with. */
    boolean interim;
    /** 1xx heads received so far (bounded: see ProxyCall.MAX_INTERIM). */
    int interims;
    /** The upstream keeps the connection after this response. */
    boolean keepAlive;
    /** The upstream answered 101 to an upgrade: the connection becomes a tunnel after the head. */
    boolean switching;

    Attempt(Endpoint endpoint, long startNanos) {
        this.endpoint = endpoint;
        this.startNanos = startNanos;
        endpoint.requestStarted();
    }

    /** The connection is the attempt's: its messages go to {@code call}. */
    void bind(Channel connection, ProxyCall call) {
        channel = connection;
        handler = connection.pipeline().get(UpstreamHandler.class);
        handler.attach(call);
    }

    /** Whether the head went out on a connection, so the body may follow it directly. */
    boolean sending() {
        return channel != null && requestSent;
    }

    void write(HttpObject message) {
        channel.write(message, channel.voidPromise());
    }

    /** Writes the request's last part: the response timeout starts, unless the response head came already. */
    void writeLast(HttpObject message, long responseTimeoutNanos) {
        channel.write(message, channel.voidPromise());
        if (!headReceived) { // else the read timeout runs, and must go on: no other timer would end the response
            handler.awaitResponse(responseTimeoutNanos);
        }
    }

    /** The response head came: from now on the read timeout runs between two reads of the body. */
    void startReadTimer(long readTimeoutNanos) {
        if (handler != null) {
            handler.responseArrived(readTimeoutNanos);
        }
    }

    /**
     * Whether the connection may wait in a pool for the next request: it is open and HTTP/1.1 (an h2
     * stream is never reused: its connection is shared already), and its endpoint is still in the
     * configuration (a draining endpoint's pools were retired at the reload; nothing would take it again).
     */
    boolean reusable() {
        Channel c = channel;
        return c != null && c.isActive() && c.parent() == null && endpoint.state() != EndpointState.DRAINING;
    }

    /**
     * Ends the attempt exactly once: the connection goes into {@code pool} (null: it is closed), and the
     * endpoint stops counting the try in flight.
     */
    void end(ConnectionPool pool) {
        if (!active) {
            return;
        }
        active = false;
        Channel c = channel; // park() or detach() below sets the connection's timer
        if (c != null) {
            if (pool != null) {
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

    /**
     * After a 101 the connection belongs to the tunnel: no timers, no handler, and the tunnel ends the
     * endpoint's in-flight count when it closes.
     */
    void handOverToTunnel() {
        active = false;
        handler.stopTimers();
        handler.detach();
    }
}
