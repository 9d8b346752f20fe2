package io.sluice.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes as written in the configuration: a whole number and one of the units {@code B}, {@code KiB},
 * {@code MiB}, {@code GiB} (1024-based), e.g. {@code 512B}, {@code 64KiB}, {@code 10MiB}. Units are
 * case-sensitive; 1000-based units ({@code KB}, {@code MB}) and bare numbers are errors.
 */
public final class Sizes {

    private static final Pattern SIZE = Pattern.compile("([0-9]+)(B|KiB|MiB|GiB)");
    private static final Pattern NUMBER = Pattern.compile("[0-9]+");
    private static final Pattern DECIMAL_UNIT = Pattern.compile("([0-9]+)\\s*([kKmMgG])[bB]?");
    static final String EXPECTED = "expected a whole number and a unit B, KiB, MiB or GiB, e.g. 64KiB";

    private Sizes() {
    }

    /**
     * Parses {@code text} to a number of bytes.
     *
     * @throws IllegalArgumentException with a message for people, e.g.
     *         {@code bad size '64KB' (expected a whole number and a unit B, KiB, MiB or GiB, e.g. 64KiB; did you mean 64KiB?)}
     */
    public static long parse(String text) {
        String t = text.strip();
        Matcher m = SIZE.matcher(t);
        if (!m.matches()) {
            String hint = "";
            Matcher d = DECIMAL_UNIT.matcher(t);
            if (NUMBER.matcher(t).matches()) {
                hint = "; add a unit, e.g. " + t + "B";
            } else if (d.matches()) {
                String unit = switch (Character.toUpperCase(d.group(2).charAt(0))) {
                    case 'K' -> "KiB";
                    case 'M' -> "MiB";
                    default -> "GiB";
                };
                hint = "; did you mean " + d.group(1) + unit + "?";
            }
            throw new IllegalArgumentException("bad size '" + text + "' (" + EXPECTED + hint + ")");
        }
        int shift = switch (m.group(2)) {
            case "B" -> 0;
            case "KiB" -> 10;
            case "MiB" -> 20;
            default -> 30;
        };
        try {
            long n = Long.parseLong(m.group(1));
            if (n > (Long.MAX_VALUE >> shift)) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad size '" + text + "' (too large)");
        }
    }

    /** Formats {@code bytes} in the largest unit that keeps it exact ({@code 64KiB}, {@code 1000B}). */
    public static String format(long bytes) {
        if (bytes != 0 && bytes % (1L << 30) == 0) {
            return (bytes >> 30) + "GiB";
        }
        if (bytes != 0 && bytes % (1L << 20) == 0) {
            return (bytes >> 20) + "MiB";
        }
        if (bytes != 0 && bytes % (1L << 10) == 0) {
            return (bytes >> 10) + "KiB";
        }
        return bytes + "B";
    }
}
