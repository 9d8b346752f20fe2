package io.sluice.filter.compress;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.encoder.BrotliOutputStream;
import com.aayushatharva.brotli4j.encoder.Encoder;

/** br (RFC 7932) through Brotli4j's streaming encoder (Google's brotli): each part flushed, the window kept. */
final class BrotliStream extends FlushingStream {
    /**
     * Quality 4: the fast end of brotli, for compressing on the fly (11, the default, is for files compressed once
     * ahead of time); near gzip's speed at a better ratio on text. ngx_brotli's default is 6.
     */
    static final int QUALITY = 4;
    /** A 512 KiB window (2^19), ngx_brotli's default; brotli's own is 4 MiB. Memory per response over ratio. */
    static final int WINDOW_LOG = 19;
    /** Bytes Brotli4j's encoder takes in before it compresses (its own default). */
    private static final int INPUT_BUFFER = 16 * 1024;

    /** Why the library did not load, or null; tried once, when the first response is compressed with br. */
    static final Throwable LOAD_FAILURE = NativeLibrary.load(Coding.BR, "brotli4j.library.path",
            "libbrotli.so", Brotli4jLoader::ensureAvailability);

    BrotliStream() {
        super(sink -> new BrotliOutputStream(sink,
                new Encoder.Parameters().setQuality(QUALITY).setWindow(WINDOW_LOG), INPUT_BUFFER));
    }
}
