package io.sluice.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.sluice.config.ConfigError;
import io.sluice.config.ConfigException;
import io.sluice.config.ConfigLoader;
import io.sluice.config.ListenerConfig;
import io.sluice.config.RouteConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.config.UpstreamConfig;
import io.sluice.route.Route;
import io.sluice.upstream.Upstream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Fuzz target: the configuration loader. Any text gives either a configuration that the proxy can build
 * its upstreams and routes from, or a {@link ConfigException} whose every error has FILE:LINE:COL inside
 * the text and a message; never another exception (nor a stack overflow, nor a hang: Jazzer reports those
 * too). Corpus: src/test/resources/io/sluice/fuzz/ConfigLoaderFuzzTestInputs/parse (the examples and the
 * documented configurations).
 */
class ConfigLoaderFuzzTest {
    private static final Path FILE = Path.of("target/fuzz/sluice.yaml");
    private static final Map<String, String> ENV = Map.of("PORT", "8080", "UP1", "127.0.0.1:9001",
            "UP2", "127.0.0.1:9002", "EMPTY", "");

    @FuzzTest(maxDuration = "60s")
    void parse(byte[] input) {
        String yaml = new String(input, StandardCharsets.UTF_8);
        SluiceConfig config;
        try {
            config = ConfigLoader.parse(yaml, FILE, ENV);
        } catch (ConfigException e) {
            checkErrors(yaml, e);
            return;
        }
        if (config == null) {
            throw new AssertionError("parse returned null without an error");
        }
        // What the proxy builds at start and reload must accept every configuration the loader accepts.
        Map<String, Upstream> upstreams = new HashMap<>();
        for (UpstreamConfig u : config.upstreams().values()) {
            upstreams.put(u.name(), new Upstream(u));
        }
        for (ListenerConfig listener : config.listeners()) {
            for (RouteConfig route : listener.routes()) {
                new Route(route, route.upstream() == null ? null : upstreams.get(route.upstream()));
            }
        }
    }

    private static void checkErrors(String yaml, ConfigException e) {
        if (e.errors().isEmpty()) {
            throw new AssertionError("a ConfigException without errors", e);
        }
        long lines = yaml.lines().count() + 1;
        for (ConfigError error : e.errors()) {
            if (!FILE.toString().equals(error.file()) || error.line() < 1 || error.column() < 1
                    || error.line() > lines || error.message() == null || error.message().isBlank()) {
                throw new AssertionError("an error without a proper FILE:LINE:COL and message: " + error, e);
            }
        }
    }
}
