package io.sluice.config;

import java.util.List;
import java.util.Map;

/** {@code set} (name to value, in file order) and {@code remove} (names) applied to request or response headers. */
public record HeaderOps(Map<String, String> set, List<String> remove) {

    public static final HeaderOps NONE = new HeaderOps(Map.of(), List.of());

    public HeaderOps {
        set = set == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(set));
        remove = remove == null ? List.of() : List.copyOf(remove);
    }

    public boolean isEmpty() {
        return set.isEmpty() && remove.isEmpty();
    }
}
