package io.sluice.filter.compress;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * A coding whose library compresses through an {@link OutputStream} whose {@code flush()} pushes out everything
 * written so far as a decodable block, keeping the compression window (zstd-jni's ZSTD_e_flush, Brotli4j's
 * BROTLI_OPERATION_FLUSH) and whose {@code close()} ends the stream and frees the native state.
 *
 * <p>Why the libraries themselves and not Netty's ZstdEncoder and BrotliEncoder over them (in an EmbeddedChannel
 * per response, as HttpContentCompressor does): a filter's parts are ByteBuffers, not a pipeline's ByteBufs, so
 * the channel would be a detour of wrapping, copying and releasing for each part; and Netty's ZstdEncoder makes
 * each flushed block a frame of its own, which forgets the window at every part of a stream where ZSTD_e_flush
 * keeps it. The streams here are plain objects with one owner and a {@code close()}.
 */
abstract class FlushingStream implements CompressingStream {
    /** How much of a part is copied at a time into the library (parts are read-only views, often direct). */
    private static final int SLICE = 16 * 1024;

    /** Opens the library's stream over {@code sink}. */
    interface Opener {
        OutputStream open(OutputStream sink) throws IOException;
    }

    private final ByteArrayOutputStream sink = new ByteArrayOutputStream(256);
    private final OutputStream encoder;
    private boolean closed;

    FlushingStream(Opener opener) {
        try {
            encoder = opener.open(sink);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public final byte[] compress(ByteBuffer part, boolean last) {
        try {
            byte[] slice = new byte[Math.min(SLICE, part.remaining())];
            while (part.hasRemaining()) {
                int n = Math.min(slice.length, part.remaining());
                part.get(slice, 0, n);
                encoder.write(slice, 0, n);
            }
            if (last) {
                closed = true;
                encoder.close();
            } else {
                encoder.flush();
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        }
        byte[] out = sink.toByteArray();
        sink.reset();
        return out;
    }

    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            try {
                encoder.close(); // ends the stream into the sink, which nobody reads now, and frees the native state
            } catch (IOException e) {
                // nothing is waiting for these bytes; the native state is freed either way
            }
        }
    }
}
