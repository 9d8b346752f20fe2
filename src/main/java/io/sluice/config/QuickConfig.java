package io.sluice.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Quick mode ({@code sluice proxy --from ADDR --to URL ... [--balancer NAME]}): the configuration of one
 * http listener named {@code quick} with one route for every request to the upstream {@code quick}.
 * Everything not given takes its default; consistent_hash hashes on {@code source_ip}, as quick mode has
 * no way to say otherwise. Errors name the file {@code <command line>} at 1:1.
 */
public final class QuickConfig {

    /** The "file" named in quick mode's errors. */
    public static final String SOURCE = "<command line>";
    public static final String NAME = "quick";

    private QuickConfig() {
    }

    /**
     * @param from     the listening address, {@code host:port}
     * @param toUrls   endpoint addresses, at least one ({@code host:port} or {@code http(s)://host[:port]})
     * @param balancer a balancer name, or null for {@value UpstreamConfig#DEFAULT_BALANCER}
     */
    public static SluiceConfig build(String from, List<String> toUrls, String balancer) throws ConfigException {
        List<ConfigError> errors = new ArrayList<>();
        HostPort address = null;
        if (from == null || from.isBlank()) {
            errors.add(error("missing --from (expected host:port, e.g. 127.0.0.1:8080)"));
        } else {
            try {
                address = Addresses.listen(from.strip());
            } catch (IllegalArgumentException e) {
                errors.add(error("--from: " + e.getMessage()));
            }
        }
        List<EndpointConfig> endpoints = new ArrayList<>();
        if (toUrls == null || toUrls.isEmpty()) {
            errors.add(error("missing --to (expected at least one, e.g. --to http://127.0.0.1:9001)"));
        } else {
            for (String to : toUrls) {
                try {
                    EndpointConfig ep = Addresses.endpoint(to.strip(), 1);
                    if (endpoints.stream().anyMatch(e -> e.host().equalsIgnoreCase(ep.host())
                            && e.port() == ep.port() && e.tls() == ep.tls())) {
                        errors.add(error("--to: endpoint '" + to + "' is given twice"));
                    }
                    endpoints.add(ep);
                } catch (IllegalArgumentException e) {
                    errors.add(error("--to: " + e.getMessage()));
                }
            }
        }
        String b = balancer == null || balancer.isBlank() ? UpstreamConfig.DEFAULT_BALANCER : balancer.strip();
        if (!UpstreamConfig.BALANCERS.contains(b)) {
            errors.add(error("--balancer: " + UpstreamBinder.balancerError(b)));
        }
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        String hashOn = b.equals(UpstreamBinder.CONSISTENT_HASH) ? "source_ip" : null;
        UpstreamConfig upstream = new UpstreamConfig(NAME, b, hashOn, UpstreamConfig.DEFAULT_VIRTUAL_NODES, 0,
                null, endpoints, null, null, null, null);
        RouteConfig route = new RouteConfig(NAME, MatchConfig.ANY, null, HeaderOps.NONE, HeaderOps.NONE, NAME,
                null, null);
        ListenerConfig listener = new ListenerConfig(NAME, address, Protocol.HTTP, List.of(route), null, null);
        Map<String, UpstreamConfig> upstreams = new LinkedHashMap<>();
        upstreams.put(NAME, upstream);
        return new SluiceConfig(null, ServerConfig.DEFAULTS, List.of(listener), upstreams, null);
    }

    private static ConfigError error(String message) {
        return new ConfigError(SOURCE, 1, 1, message);
    }
}
