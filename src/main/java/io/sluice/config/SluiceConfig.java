package io.sluice.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One whole, validated configuration: what {@link ConfigLoader} returns and what a reload swaps in.
 * Immutable; {@code file} is null for configurations built in code (quick mode, tests).
 */
public record SluiceConfig(
        Path file,
        ServerConfig server,
        List<ListenerConfig> listeners,
        Map<String, UpstreamConfig> upstreams,
        AdminConfig admin) {

    public SluiceConfig {
        listeners = List.copyOf(listeners);
        upstreams = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(upstreams));
    }
}
