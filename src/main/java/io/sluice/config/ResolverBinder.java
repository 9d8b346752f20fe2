package io.sluice.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.snakeyaml.engine.v2.nodes.Node;

/** Binds {@code server.resolver:}, how endpoint host names are looked up. */
final class ResolverBinder {
    static final List<String> RESOLVER_KEYS = List.of("nameservers", "cache_max_ttl", "query_timeout");

    private ResolverBinder() {
    }

    static ResolverConfig resolver(YamlReader r, Node node) {
        Fields f = r.fields(node, "resolver", "in resolver", RESOLVER_KEYS);
        if (f == null) {
            return ResolverConfig.DEFAULTS;
        }
        List<HostPort> nameservers = new ArrayList<>();
        if (f.has("nameservers")) {
            List<Node> items = r.list(f.node("nameservers"), "nameservers");
            if (items != null && items.isEmpty()) {
                r.error(f.node("nameservers"), "'nameservers' is empty (expected at least one address,"
                        + " or leave the key out to use /etc/resolv.conf)");
            }
            for (Node item : items == null ? List.<Node>of() : items) {
                HostPort server = r.value(item, "nameservers", Addresses::nameserver);
                if (server != null) {
                    nameservers.add(server);
                }
            }
        }
        Duration maxTtl = f.duration("cache_max_ttl", null, false);
        if (maxTtl != null && (maxTtl.toNanos() % 1_000_000_000L != 0 || maxTtl.getSeconds() > Integer.MAX_VALUE)) {
            r.error(f.node("cache_max_ttl"), "cache_max_ttl " + Durations.format(maxTtl)
                    + " is not a whole number of seconds (DNS TTLs are in seconds; e.g. 60s, or 0 to keep nothing)");
            maxTtl = null;
        }
        Duration queryTimeout = f.duration("query_timeout", null, true);
        if (queryTimeout != null && queryTimeout.compareTo(Duration.ofMinutes(1)) > 0) {
            r.error(f.node("query_timeout"), "query_timeout " + Durations.format(queryTimeout)
                    + " out of range (expected more than 0 and at most 1m, e.g. 2s)");
            queryTimeout = null;
        }
        return new ResolverConfig(nameservers, maxTtl, queryTimeout);
    }
}
