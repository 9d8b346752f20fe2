package io.sluice.config;

import java.time.Duration;
import java.util.List;

/**
 * The {@code server.resolver:} block: how endpoint host names are looked up. Every part falls back to
 * the system's own settings.
 *
 * @param nameservers  IP addresses of DNS servers, asked in order; empty: the {@code nameserver} lines of
 *                     /etc/resolv.conf
 * @param cacheMaxTtl  the longest an answer is kept, whatever its TTL says (whole seconds); null: the
 *                     record's own TTL
 * @param queryTimeout how long one DNS query may take; null: {@code options timeout:} of
 *                     /etc/resolv.conf (5 s when absent)
 */
public record ResolverConfig(List<HostPort> nameservers, Duration cacheMaxTtl, Duration queryTimeout) {
    public static final ResolverConfig DEFAULTS = new ResolverConfig(List.of(), null, null);

    public ResolverConfig {
        nameservers = List.copyOf(nameservers);
    }
}
