package io.sluice.runtime;

import io.netty.handler.ssl.OpenSsl;
import io.sluice.tls.TlsLibrary;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * What {@code sluice version --verbose} prints and {@code sluice_build_info} carries: the build's version and
 * commit and the platform the proxy runs on.
 */
public final class BuildInfo {
    private BuildInfo() {
    }

    /**
     * The version the build was made with, from sluice-build.properties: not the jar manifest's, which a proxy
     * run from the unpacked jar (what bin/sluice does) has not. "dev" when the build set none.
     */
    public static String version() {
        String v = buildProperty("version");
        return v.equals("unknown") ? "dev" : v;
    }

    /** commit, java, os, netty, transport, tls, in that order. */
    public static Map<String, String> details() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("commit", commit());
        d.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ", "
                + System.getProperty("java.vendor") + ")");
        d.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        d.put("netty", netty());
        d.put("transport", Transport.detect().name() + " (what server.transport: auto takes here)");
        d.put("tls", OpenSsl.isAvailable() ? "openssl (" + OpenSsl.versionString() + ")"
                : "jdk (BoringSSL unavailable: " + OpenSsl.unavailabilityCause() + ")");
        return d;
    }

    /** The labels of sluice_build_info: short values only; {@code transport} is the one running. */
    public static Map<String, String> labels(String transport) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("version", version());
        d.put("commit", commit());
        d.put("java", System.getProperty("java.version"));
        d.put("netty", netty());
        d.put("transport", transport);
        d.put("tls", TlsLibrary.label()); // not OpenSsl: its check loads 7 MiB a proxy without TLS never uses
        return d;
    }

    /** The commit the jar was built from ({@code -Dsluice.commit=...} at build time), else "unknown". */
    public static String commit() {
        return buildProperty("commit");
    }

    /**
     * The Netty version the build was made with. Not {@code io.netty.util.Version.identify()}: it parses dates
     * with {@code SimpleDateFormat}, which loads the JDK's calendar and locale data (about a thousand
     * {@code Locale} objects) into every proxy for one label.
     */
    public static String netty() {
        return buildProperty("netty");
    }

    private static String buildProperty(String key) {
        String v = BuildFile.PROPERTIES.getProperty(key, "").trim();
        return v.isEmpty() || v.startsWith("${") ? "unknown" : v;
    }

    /** Read once, on first use. */
    private static final class BuildFile {
        static final Properties PROPERTIES = load();

        private static Properties load() {
            Properties p = new Properties();
            try (InputStream in = BuildInfo.class.getResourceAsStream("/sluice-build.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException e) {
                // every key reads "unknown"
            }
            return p;
        }
    }
}
