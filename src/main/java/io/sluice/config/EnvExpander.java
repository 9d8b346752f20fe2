package io.sluice.config;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * Expands {@code ${NAME}} and {@code ${NAME:-default}} in a configuration value from an environment map.
 * As in the shell, the default is used when NAME is unset or empty; {@code ${NAME}} with NAME unset is an
 * error (set but empty expands to nothing). NAME is letters, digits and underscores, not starting with a
 * digit. There is no escape: a value cannot contain a literal {@code ${}. A default cannot hold a reference:
 * {@code ${A:-${B}}} would otherwise end at the first brace and use the literal {@code ${B}}.
 */
public final class EnvExpander {

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final Map<String, String> env;
    /** Every non-empty value taken from the environment so far (defaults not), for {@link ExpandedValues}. */
    private final java.util.Set<String> substituted = new java.util.LinkedHashSet<>();

    public EnvExpander(Map<String, String> env) {
        this.env = env;
    }

    /**
     * Returns {@code text} with every reference replaced.
     *
     * @throws IllegalArgumentException for an unset variable without default or a malformed reference
     */
    /** The values substituted by {@link #expand} so far. */
    public ExpandedValues expanded() {
        return substituted.isEmpty() ? ExpandedValues.NONE : new ExpandedValues(substituted);
    }

    public String expand(String text) {
        int start = text.indexOf("${");
        if (start < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int from = 0;
        while (start >= 0) {
            int end = text.indexOf('}', start + 2);
            if (end < 0) {
                throw new IllegalArgumentException("unterminated '${' in '" + text
                        + "' (expected ${NAME} or ${NAME:-default})");
            }
            String ref = text.substring(start + 2, end);
            int sep = ref.indexOf(":-");
            String name = sep < 0 ? ref : ref.substring(0, sep);
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("bad variable reference '${" + ref
                        + "}' (expected ${NAME} or ${NAME:-default})");
            }
            String value = env.get(name);
            if (sep >= 0) {
                if (ref.indexOf("${", sep + 2) >= 0) {
                    // unsupported, and its literal text would become the value (a guessable admin token)
                    throw new IllegalArgumentException("a default cannot contain ${...} in '" + text
                            + "'; set the variable instead");
                }
                if (value == null || value.isEmpty()) {
                    value = ref.substring(sep + 2);
                } else {
                    substituted.add(value); // from the environment; a default is written in the file
                }
            } else if (value == null) {
                throw new IllegalArgumentException("environment variable '" + name
                        + "' is not set (write ${" + name + ":-default} to give a default)");
            } else if (!value.isEmpty()) {
                substituted.add(value);
            }
            out.append(text, from, start).append(value);
            from = end + 1;
            start = text.indexOf("${", from);
        }
        return out.append(text, from, text.length()).toString();
    }
}
