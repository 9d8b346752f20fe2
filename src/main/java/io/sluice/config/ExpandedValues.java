package io.sluice.config;

import java.util.Set;

/**
 * What {@code ${NAME}} references in a configuration expanded to (each non-empty substituted value), kept so
 * that the admin API can redact them: a value that came from the environment is often a secret. Its
 * {@code toString} names no value, so a logged configuration shows none.
 */
public final class ExpandedValues {
    public static final ExpandedValues NONE = new ExpandedValues(Set.of());

    private final Set<String> values;

    ExpandedValues(Set<String> values) {
        this.values = Set.copyOf(values);
    }

    /** True when {@code text} contains a value the environment supplied. */
    public boolean appearIn(String text) {
        for (String v : values) {
            if (text.contains(v)) {
                return true;
            }
        }
        return false;
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    @Override
    public String toString() {
        return "ExpandedValues[" + values.size() + "]";
    }
}
