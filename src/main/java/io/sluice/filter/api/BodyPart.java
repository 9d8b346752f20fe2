package io.sluice.filter.api;

import java.nio.ByteBuffer;

/** One part of a request or response body, as it streams through. Valid only during the call that gives it. */
public interface BodyPart {

    /** A read-only view of the bytes of this part. */
    ByteBuffer content();

    /** How many bytes this part has. */
    int length();

    /** True for the last part of the body (which may be empty). */
    boolean isLast();

    /**
     * Replaces this part's bytes with {@code bytes} (copied). When a filter changes the length of a body it
     * removes {@code Content-Length} from the head first (in {@link Filter#onRequest} or
     * {@link Filter#onResponse}); Sluice then sends the body chunked.
     */
    void replace(ByteBuffer bytes);
}
