package io.sluice.config;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A route's {@code match:}. Every field is optional: null (or empty) means "any".
 * Hosts are lower-cased; methods are upper-case tokens; header names keep their case, values match exactly.
 * {@code cookies} and {@code query} map a cookie or query parameter name to the exact value it must have
 * (a query value is compared percent-decoded).
 */
public record MatchConfig(
        List<String> hosts,
        String pathPrefix,
        Pattern pathRegex,
        List<String> methods,
        Map<String, String> headers,
        Map<String, String> cookies,
        Map<String, String> query) {

    public static final MatchConfig ANY = new MatchConfig(List.of(), null, null, List.of(), Map.of());

    /** Without cookie or query conditions. */
    public MatchConfig(List<String> hosts, String pathPrefix, Pattern pathRegex, List<String> methods,
                       Map<String, String> headers) {
        this(hosts, pathPrefix, pathRegex, methods, headers, Map.of(), Map.of());
    }

    public MatchConfig {
        hosts = hosts == null ? List.of() : List.copyOf(hosts);
        methods = methods == null ? List.of() : List.copyOf(methods);
        headers = headers == null ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(headers));
        cookies = cookies == null ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(cookies));
        query = query == null ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(query));
    }
}
