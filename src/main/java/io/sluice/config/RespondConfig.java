package io.sluice.config;

import java.util.Map;

/** A fixed answer: status (100-599 but not 1xx in practice), body (may be empty) and headers. */
public record RespondConfig(int status, String body, Map<String, String> headers) {
    public RespondConfig {
        body = body == null ? "" : body;
        headers = headers == null ? Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(headers));
    }
}
