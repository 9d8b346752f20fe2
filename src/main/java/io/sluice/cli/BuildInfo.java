package io.sluice.cli;

import io.netty.handler.ssl.OpenSsl;
import io.sluice.runtime.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/** What {@code sluice version --verbose} prints: the build's commit and the platform the proxy would run on. */
final class BuildInfo {
    private BuildInfo() {
    }

    static Map<String, String> details() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("commit", commit());
        d.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ", "
                + System.getProperty("java.vendor") + ")");
        d.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        d.put("netty", io.netty.util.Version.identify().values().stream()
                .map(io.netty.util.Version::artifactVersion).findFirst().orElse("unknown"));
        d.put("transport", Transport.detect().name());
        d.put("tls", OpenSsl.isAvailable() ? "openssl (" + OpenSsl.versionString() + ")"
                : "jdk (BoringSSL unavailable: " + OpenSsl.unavailabilityCause() + ")");
        return d;
    }

    /** The commit the jar was built from ({@code -Dsluice.commit=...} at build time), else "unknown". */
    static String commit() {
        try (InputStream in = BuildInfo.class.getResourceAsStream("/sluice-build.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            String c = p.getProperty("commit", "").trim();
            return c.isEmpty() || c.startsWith("${") ? "unknown" : c;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
