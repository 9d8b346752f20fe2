package io.sluice.filter.compress;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.BrotliInputStream;
import com.aayushatharva.brotli4j.decoder.DecoderJNI;
import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.zip.GZIPInputStream;

/** Decoders for the codings, as a client uses them: zstd-jni's, Brotli4j's and the JDK's. */
public final class Decoders {
    private Decoders() {
    }

    /** A decoder over a whole compressed body. */
    public static InputStream decoder(Coding coding, byte[] body) throws IOException {
        InputStream in = new ByteArrayInputStream(body);
        return switch (coding) {
            case GZIP -> new GZIPInputStream(in);
            case ZSTD -> new ZstdInputStream(in);
            case BR -> {
                Brotli4jLoader.ensureAvailability();
                yield new BrotliInputStream(in);
            }
        };
    }

    /**
     * What the first part of a compressed body decodes to, as a client that has only that part so far sees it:
     * {@code n} bytes expected. (Brotli4j's stream reads on once it has what was asked and fails at the end of an
     * unfinished stream, so br is decoded with its decoder's own push and pull.)
     */
    public static byte[] decodedSoFar(Coding coding, byte[] part, int n) throws IOException {
        if (coding != Coding.BR) {
            return decoder(coding, part).readNBytes(n);
        }
        Brotli4jLoader.ensureAvailability();
        DecoderJNI.Wrapper decoder = new DecoderJNI.Wrapper(part.length);
        try {
            decoder.getInputBuffer().put(part);
            decoder.push(part.length);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            while (decoder.getStatus() != DecoderJNI.Status.ERROR && decoder.hasOutput()) {
                ByteBuffer b = decoder.pull();
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                out.write(bytes, 0, bytes.length);
            }
            return out.toByteArray();
        } finally {
            decoder.destroy();
        }
    }
}
