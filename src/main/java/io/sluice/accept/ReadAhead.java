package io.sluice.accept;

import io.netty.handler.codec.http.HttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayDeque;

/**
 * What a keep-alive client sent ahead while its previous response is still on its way (pipelining, or just
 * the next request arriving early): decoded messages kept in order, bounded in count and in body bytes, so
 * a client that pipelines cannot fill memory; and the task that takes them up once the response is done.
 * Made for a connection the first time it reads ahead; most connections never do.
 */
final class ReadAhead implements Runnable {
    private static final int MAX_MESSAGES = 16;
    private static final long MAX_BYTES = 64 * 1024;

    private final ArrayDeque<Object> messages = new ArrayDeque<>(2);
    private final Runnable takeUp;
    private long bytes;
    private boolean takeUpScheduled;

    /** @param takeUp the connection's way to handle what waits here, in order, until a request is in progress */
    ReadAhead(Runnable takeUp) {
        this.takeUp = takeUp;
    }

    void add(Object msg) {
        messages.add(msg);
        if (msg instanceof HttpContent content) {
            bytes += content.content().readableBytes();
        }
    }

    /** The oldest message read ahead; null when none. */
    Object poll() {
        Object msg = messages.poll();
        if (msg instanceof HttpContent content) {
            bytes -= content.content().readableBytes();
        }
        return msg;
    }

    boolean isEmpty() {
        return messages.isEmpty();
    }

    /** Whether more may be read ahead: under both bounds. */
    boolean hasRoom() {
        return messages.size() < MAX_MESSAGES && bytes < MAX_BYTES;
    }

    /**
     * Takes up what waits here in a task, not inside the previous response's last read: the rest of the loop
     * turn's I/O comes first, so an upstream that closed the connection just released to the pool is noticed
     * before the next request could pick that connection. Once until the task runs.
     */
    void scheduleTakeUp(EventExecutor executor) {
        if (!takeUpScheduled) {
            takeUpScheduled = true;
            executor.execute(this);
        }
    }

    /** A take-up task is on its way: what is read meanwhile waits here too. */
    boolean takeUpScheduled() {
        return takeUpScheduled;
    }

    @Override
    public void run() {
        takeUpScheduled = false;
        takeUp.run();
    }

    /** Drops everything held (the connection is closing). */
    void release() {
        bytes = 0;
        Object msg;
        while ((msg = messages.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }
}
