package io.sluice.accept;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The client's timeouts on one connection ({@code server.client_timeouts}): request_head, idle,
 * request_body and send, and when an idle HTTP/1.1 connection is parked. One timer whose deadline depends on
 * what the connection is waiting for, worked out when it fires: the request path only notes times here; a
 * deadline that moved later costs nothing until the timer fires and re-arms itself (as Netty's
 * IdleStateHandler does), so a busy connection schedules about one task per timeout period, not one per
 * request.
 *
 * <p>What the connection is waiting for and what to do when that is late are the connection's
 * ({@link Connection}); the times and the timer are kept here. On the connection's event loop.
 */
final class ClientTimer implements Runnable {

    /** What the timer asks of its connection when it fires. */
    interface Connection {
        /** Nothing is waited for any more (closing or closed): the timer stops. */
        boolean closed();

        /** What the connection waits for now: one of {@link ClientTimer#SENDING} ... {@link ClientTimer#UPSTREAM}. */
        int waitingFor();

        /** Changes whenever the response moves out (see {@link ClientTimer#outputMark}). */
        long outputMark();

        /** When the request head that is arriving began (0: nothing of one yet). */
        long headStartNanos();

        /** The proxy, not the client, is holding the request body back (the upstream, a waiting filter). */
        boolean bodyHeldBack();

        /** Parks the idle connection; false when something is still under way. */
        boolean park();

        /** {@code timeout} ({@code send}, {@code request_head}, {@code idle}, {@code request_body}) ran out. */
        void timedOut(String timeout, boolean headStarted);
    }

    /** A response is still going out (or the end of one): timed by send. */
    static final int SENDING = 0;
    /** A request read ahead is about to be taken up. */
    static final int READ_AHEAD = 1;
    /** Between requests on an HTTP/1.1 connection: request_head (the first) or idle, then parking. */
    static final int NEXT_REQUEST = 2;
    /** Between requests on an h2 stream: its connection's idle handler times it. */
    static final int NOTHING = 3;
    /** The request body is arriving: request_body. */
    static final int REQUEST_BODY = 4;
    /** The request is in, the answer is the upstream's to give: its own timeouts apply. */
    static final int UPSTREAM = 5;

    private final ListenerContext listener; // its timeouts change with a reload: read at each use
    private final long parkAfterNanos;
    private Connection connection;
    private EventExecutor executor;
    private ScheduledFuture<?> timer;
    private long timerAt;
    private long waitingSince;  // accept, or the end of the previous response: waiting for a request head
    private boolean servedOne;  // after the first response, waiting is keep-alive (idle), not request_head
    private long lastRead;      // the last read burst, for request_body
    private long sendMark = -1; // outputMark() when the client was last seen taking something
    private long sendStalledSince;

    /** @param parkAfterNanos how long an HTTP/1.1 connection waits for its next request before it is parked */
    ClientTimer(ListenerContext listener, long parkAfterNanos, long waitingSince, boolean servedOne) {
        this.listener = listener;
        this.parkAfterNanos = parkAfterNanos;
        this.waitingSince = waitingSince;
        this.servedOne = servedOne;
    }

    /**
     * Changes whenever the outbound side of {@code channel} moves: the message being written, how far it got
     * (a file region counts no pending bytes, only progress), the bytes queued, the bytes written ({@code
     * meter} may be null). As Netty's IdleStateHandler observes output.
     */
    static long outputMark(Channel channel, ConnectionMeter meter) {
        ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        if (out == null) {
            return 0;
        }
        return System.identityHashCode(out.current()) * 31L + out.currentProgress() * 17 + out.totalPendingWriteBytes()
                + (meter == null ? 0 : meter.written() * 13);
    }

    void start(Connection connection, EventExecutor executor) {
        this.connection = connection;
        this.executor = executor;
    }

    long waitingSince() {
        return waitingSince;
    }

    boolean servedOne() {
        return servedOne;
    }

    // ---------------------------------------------------------------- what the connection notes

    /** An HTTP/1.1 connection starts waiting for a request ({@code fresh}: accepted now, not woken from parking). */
    void connectionStarted(boolean fresh) {
        long now = System.nanoTime();
        if (fresh) {
            waitingSince = now;
        }
        arm(now + Math.min(listener.clientTimeouts().requestHead(), parkAfterNanos));
    }

    /** A read burst of the request body ended (or the proxy let it flow again): request_body counts from now. */
    void bodyRead() {
        lastRead = System.nanoTime();
    }

    /** A read burst ended inside a request body. */
    void bodyReadAndArm() {
        lastRead = System.nanoTime();
        arm(lastRead + listener.clientTimeouts().requestBody());
    }

    /** A read burst ended inside a request head that began at {@code headStart}. */
    void headRead(long headStart) {
        arm(headStart + listener.clientTimeouts().requestHead());
    }

    /** An HTTP/1.1 response is over: the connection waits for the next request (keep-alive: idle). */
    void responseDone() {
        waitingSince = System.nanoTime();
        servedOne = true;
        arm(waitingSince + Math.min(listener.clientTimeouts().idle(), parkAfterNanos));
    }

    /** The client stopped taking what is written: send counts from now. */
    void sendStalled(long outputMark) {
        sendMark = outputMark;
        sendStalledSince = System.nanoTime();
        arm(sendStalledSince + listener.clientTimeouts().send());
    }

    void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    // ---------------------------------------------------------------- the timer

    /** Makes sure the timer fires by {@code deadline}; a timer due earlier already covers it. */
    private void arm(long deadline) {
        if (timer != null && timerAt - deadline <= 0) {
            return;
        }
        if (timer != null) {
            timer.cancel(false);
        }
        timerAt = deadline;
        timer = executor.schedule(this, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** The timer fired: tells the connection what is late, else re-arms for the next deadline. */
    @Override
    public void run() {
        timer = null;
        if (connection.closed()) {
            return;
        }
        ListenerContext.ClientTimeouts t = listener.clientTimeouts();
        long now = System.nanoTime();
        long deadline;
        switch (connection.waitingFor()) {
            case SENDING -> {
                // A response (or the end of one: a static file the handler already finished with) is still
                // going out: the client is timed by send, not idle. Progress is whatever the outbound buffer did.
                long mark = connection.outputMark();
                if (mark != sendMark) {
                    sendMark = mark;
                    sendStalledSince = now;
                }
                deadline = sendStalledSince + t.send();
                if (deadline - now <= 0) {
                    connection.timedOut("send", false);
                    return;
                }
            }
            case READ_AHEAD -> deadline = now + t.requestHead();
            case NOTHING -> {
                return;
            }
            case NEXT_REQUEST -> {
                long headStart = connection.headStartNanos();
                if (headStart != 0) {
                    deadline = (servedOne ? headStart : waitingSince) + t.requestHead(); // a first request: from the accept
                    if (deadline - now <= 0) {
                        connection.timedOut("request_head", true);
                        return;
                    }
                } else {
                    deadline = waitingSince + (servedOne ? t.idle() : t.requestHead());
                    if (deadline - now <= 0) {
                        connection.timedOut(servedOne ? "idle" : "request_head", false);
                        return;
                    }
                    long parkAt = waitingSince + parkAfterNanos;
                    if (parkAt - now <= 0) {
                        if (connection.park()) {
                            return; // the ParkedConnection keeps the idle timeout from here
                        }
                        parkAt = now + parkAfterNanos; // a response still on its way: look again later
                    }
                    if (parkAt - deadline < 0) {
                        deadline = parkAt;
                    }
                }
            }
            case REQUEST_BODY -> {
                if (connection.bodyHeldBack()) {
                    lastRead = now; // not reading the client: the upstream is not taking the body, or a filter waits
                }
                deadline = lastRead + t.requestBody();
                if (deadline - now <= 0) {
                    connection.timedOut("request_body", false);
                    return;
                }
            }
            default -> deadline = now + Math.min(t.send(), t.idle()); // waiting on the upstream: its own timeouts apply
        }
        timerAt = deadline;
        timer = executor.schedule(this, deadline - now, TimeUnit.NANOSECONDS);
    }
}
