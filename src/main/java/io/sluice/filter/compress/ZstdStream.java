package io.sluice.filter.compress;

import com.github.luben.zstd.RecyclingBufferPool;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import com.github.luben.zstd.util.Native;

/**
 * zstd (RFC 8878) through zstd-jni's streaming compressor: one frame per response, each part flushed (the
 * frame's blocks so far decode; the window is kept, so later parts still find matches in earlier ones).
 */
final class ZstdStream extends FlushingStream {
    /** zstd's own default level: faster than gzip -5 at a better ratio; what Caddy's "default" zstd level is. */
    static final int LEVEL = 3;
    /** A 512 KiB window (level 3 would take 2 MiB for a body of unknown length): memory per response over ratio. */
    static final int WINDOW_LOG = 19;

    /** Why the library did not load, or null; tried once, when the first response is compressed with zstd. */
    static final Throwable LOAD_FAILURE = NativeLibrary.load(Coding.ZSTD, "ZstdNativePath", "libzstd-jni-*.so",
            Native::load);

    ZstdStream() {
        // the NoFinalizer variant: close() frees the context, no finalizer is registered for each response; its
        // 128 KiB output buffer comes from and goes back to zstd-jni's pool instead of being allocated each time
        super(sink -> new ZstdOutputStreamNoFinalizer(sink, RecyclingBufferPool.INSTANCE)
                .setLevel(LEVEL).setWindowLog(WINDOW_LOG));
    }
}
