package io.sluice.filter;

import io.netty.handler.codec.http.HttpHeaders;
import io.sluice.config.HeaderOps;
import java.util.Map;

/** Applies a route's {@code set} and {@code remove} header operations: removals first, then sets. */
public final class HeaderRewrite {
    private HeaderRewrite() {
    }

    public static void apply(HeaderOps ops, HttpHeaders headers) {
        if (ops.isEmpty()) {
            return;
        }
        for (String name : ops.remove()) {
            headers.remove(name);
        }
        for (Map.Entry<String, String> e : ops.set().entrySet()) {
            headers.set(e.getKey(), e.getValue());
        }
    }
}
