package io.sluice.accept;

import io.netty.handler.codec.http.HttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * What a keep-alive client sent ahead while its previous response is still on its way (pipelining, or just
 * the next request arriving early): decoded messages kept in order, bounded in count and in body bytes, so
 * a client that pipelines cannot fill memory. Made for a connection the first time it reads ahead; most
 * connections never do.
 */
final class ReadAhead {
    private static final int MAX_MESSAGES = 16;
    private static final long MAX_BYTES = 64 * 1024;

    private final ArrayDeque<Object> messages = new ArrayDeque<>(2);
    private long bytes;

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

    /** Drops everything held (the connection is closing). */
    void release() {
        bytes = 0;
        Object msg;
        while ((msg = messages.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }
}
