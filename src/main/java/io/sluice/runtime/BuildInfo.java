package io.sluice.runtime;

import io.netty.handler.ssl.OpenSsl;
import io.sluice.build.BuildProperties;
import io.sluice.tls.TlsLibrary;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code sluice version --verbose} prints and {@code sluice_build_info} carries: the build's version and
 * commit ({@link BuildProperties}) and the platform the proxy runs on.
 */
public final class BuildInfo {
    private BuildInfo() {
    }

    /** commit, java, os, netty, transport, tls, in that order. */
    public static Map<String, String> details() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("commit", BuildProperties.commit());
        d.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ", "
                + System.getProperty("java.vendor") + ")");
        d.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        d.put("netty", BuildProperties.netty());
        d.put("transport", Transport.detect().name() + " (what server.transport: auto takes here)");
        d.put("tls", OpenSsl.isAvailable() ? "openssl (" + OpenSsl.versionString() + ")"
                : "jdk (BoringSSL unavailable: " + OpenSsl.unavailabilityCause() + ")");
        return d;
    }

    /** The labels of sluice_build_info: short values only; {@code transport} is the one running. */
    public static Map<String, String> labels(String transport) {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("version", BuildProperties.version());
        d.put("commit", BuildProperties.commit());
        d.put("java", System.getProperty("java.version"));
        d.put("netty", BuildProperties.netty());
        d.put("transport", transport);
        d.put("tls", TlsLibrary.label()); // not OpenSsl: its check loads 7 MiB a proxy without TLS never uses
        return d;
    }
}
