package io.sluice.build;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * What the build wrote into sluice-build.properties: the version, the commit and the Netty version. Not the jar
 * manifest's version: bin/sluice runs the unpacked jar, which has no manifest. A package at the bottom, so the
 * CLI, the admin API, tracing and {@code runtime.BuildInfo} all read the one file the one way.
 */
public final class BuildProperties {
    private static final Properties FILE = load();

    private BuildProperties() {
    }

    /** The project's version; "dev" when the build set none. */
    public static String version() {
        String v = get("version");
        return v.equals("unknown") ? "dev" : v;
    }

    /** The commit the build was made from ({@code -Dsluice.commit=...} at build time), else "unknown". */
    public static String commit() {
        return get("commit");
    }

    /**
     * The Netty version the build was made with. Not {@code io.netty.util.Version.identify()}: it parses dates
     * with {@code SimpleDateFormat}, which loads the JDK's calendar and locale data (about a thousand
     * {@code Locale} objects) into every proxy for one label.
     */
    public static String netty() {
        return get("netty");
    }

    private static String get(String key) {
        String v = FILE.getProperty(key, "").trim();
        return v.isEmpty() || v.startsWith("${") ? "unknown" : v;
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = BuildProperties.class.getResourceAsStream("/sluice-build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // every key reads "unknown"
        }
        return p;
    }
}
