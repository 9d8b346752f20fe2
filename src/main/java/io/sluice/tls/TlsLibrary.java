package io.sluice.tls;

import io.netty.handler.ssl.OpenSsl;

/**
 * Whether BoringSSL (netty-tcnative) can be used, asked only when some TLS is configured. Netty's check loads
 * the native library and initialises the JDK's TLS stack beside it (about 740 classes and 7 MiB), which a
 * proxy without TLS never needs; so it is made here, on the first TLS context, and not at start.
 */
public final class TlsLibrary {
    private static volatile boolean checked;

    private TlsLibrary() {
    }

    /** True when BoringSSL is available; makes Netty's check the first time. */
    public static boolean openSslAvailable() {
        boolean available = OpenSsl.isAvailable();
        checked = true;
        return available;
    }

    /** Why BoringSSL is not available (null when it is). */
    public static Throwable unavailabilityCause() {
        return OpenSsl.unavailabilityCause();
    }

    /**
     * The {@code tls} label of {@code sluice_build_info}: {@code openssl} or {@code jdk} once some TLS has been
     * configured, {@code unchecked} before (asking would load what the check loads).
     */
    public static String label() {
        return checked ? (OpenSsl.isAvailable() ? "openssl" : "jdk") : "unchecked";
    }
}
