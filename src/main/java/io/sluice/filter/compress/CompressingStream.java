package io.sluice.filter.compress;

import java.nio.ByteBuffer;

/** One response body being compressed, part by part. Used by one event loop at a time. */
public interface CompressingStream {

    /**
     * The compressed bytes for {@code part}: flushed, so that what came out so far decodes to everything that went
     * in (a stream stays a stream); after the {@code last} part, the end of the compressed stream, and the stream
     * is closed.
     */
    byte[] compress(ByteBuffer part, boolean last);

    /** Frees the native memory now (a no-op once closed): at the end of the response, or when the client left. */
    void close();
}
