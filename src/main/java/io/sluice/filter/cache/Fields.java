package io.sluice.filter.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Lookups in a list of header fields (names case-insensitive), as stored responses and request copies keep them. */
final class Fields {
    private Fields() {
    }

    /** The first value of {@code name} (case-insensitive) in a list of fields, or null. */
    static String first(List<Map.Entry<String, String>> fields, String name) {
        for (Map.Entry<String, String> f : fields) {
            if (f.getKey().equalsIgnoreCase(name)) {
                return f.getValue();
            }
        }
        return null;
    }

    /** Every value of {@code name} (case-insensitive) in a list of fields, in order. */
    static List<String> all(List<Map.Entry<String, String>> fields, String name) {
        List<String> values = new ArrayList<>(1);
        for (Map.Entry<String, String> f : fields) {
            if (f.getKey().equalsIgnoreCase(name)) {
                values.add(f.getValue());
            }
        }
        return values;
    }
}
