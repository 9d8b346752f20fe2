package io.sluice.filter.compress;

import java.util.Locale;

/** A content coding {@code compress} can produce, by its {@code Content-Encoding} token. */
public enum Coding {
    ZSTD("zstd"),
    BR("br"),
    GZIP("gzip");

    private final String token;

    Coding(String token) {
        this.token = token;
    }

    /** The name in {@code Accept-Encoding}, {@code Content-Encoding} and the {@code algorithms} setting. */
    public String token() {
        return token;
    }

    /** The coding named {@code token}, or null. */
    public static Coding of(String token) {
        for (Coding c : values()) {
            if (c.token.equals(token)) {
                return c;
            }
        }
        return null;
    }

    /**
     * Whether Sluice ships this coding's native library for this machine (gzip needs none; zstd's and brotli's are
     * in the release for Linux x86_64 only). Decided from the platform's name, without loading a class of them.
     */
    public boolean shippedHere() {
        return this == GZIP || linuxX64(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
    }

    static boolean linuxX64(String osName, String osArch) {
        String arch = osArch.toLowerCase(Locale.ROOT);
        return osName.toLowerCase(Locale.ROOT).startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    }

    /**
     * A stream for one response, or null when this coding's native library cannot load here (said once in the
     * log; the caller takes the client's next choice). The first call for zstd or br loads its library.
     */
    public CompressingStream open() {
        return switch (this) {
            case GZIP -> new GzipStream();
            case ZSTD -> ZstdStream.LOAD_FAILURE == null ? new ZstdStream() : null;
            case BR -> BrotliStream.LOAD_FAILURE == null ? new BrotliStream() : null;
        };
    }
}
