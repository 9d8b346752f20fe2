package io.sluice.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as written in the configuration: a number and a unit, {@code 250ms}, {@code 2s}, {@code 1.5s},
 * {@code 1m}, {@code 1h}, {@code 30d}. A bare number is an error (the unit is never guessed), except {@code 0}, which
 * needs no unit. Precision is one nanosecond; anything finer is rounded.
 */
public final class Durations {

    private static final Pattern DURATION = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h|d)");
    private static final Pattern NUMBER = Pattern.compile("[0-9]+(?:\\.[0-9]+)?");
    static final String EXPECTED = "expected a number and a unit, e.g. 250ms, 2s, 1m";

    private Durations() {
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException with a message for people, e.g.
     *         {@code bad duration '5' (expected a number and a unit, e.g. 250ms, 2s, 1m; add a unit, e.g. 5s)}
     */
    public static Duration parse(String text) {
        String t = text.strip();
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = DURATION.matcher(t);
        if (!m.matches()) {
            if (NUMBER.matcher(t).matches()) {
                throw new IllegalArgumentException(
                        "bad duration '" + text + "' (" + EXPECTED + "; add a unit, e.g. " + t + "s)");
            }
            throw new IllegalArgumentException("bad duration '" + text + "' (" + EXPECTED + ")");
        }
        long unitNanos = switch (m.group(2)) {
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default -> 86_400_000_000_000L;
        };
        try {
            BigDecimal nanos = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unitNanos));
            return Duration.ofNanos(nanos.setScale(0, java.math.RoundingMode.HALF_UP).longValueExact());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("bad duration '" + text + "' (too large)");
        }
    }

    /** Formats {@code d} in the largest unit that keeps it exact ({@code 1500ms}, {@code 2s}, {@code 1m}). */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (d.isZero()) {
            return "0s";
        }
        if (ms * 1_000_000L != d.toNanos()) {
            return new BigDecimal(d.toNanos()).movePointLeft(6).stripTrailingZeros().toPlainString() + "ms";
        }
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
