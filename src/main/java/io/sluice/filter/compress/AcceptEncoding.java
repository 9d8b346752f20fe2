package io.sluice.filter.compress;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The client's {@code Accept-Encoding} (RFC 9110 §12.5.3), read for the codings a server offers. */
public final class AcceptEncoding {
    private AcceptEncoding() {
    }

    /**
     * The codings of {@code offered} that the client takes, best first: by its q-values, then in the order of
     * {@code offered} among equal ones. A coding the client does not name takes the quality of {@code *} if it is
     * there; {@code q=0} refuses; {@code x-gzip} is gzip. An empty list: send it as it is ({@code identity}).
     */
    public static List<Coding> acceptable(List<Coding> offered, List<String> acceptEncoding) {
        Map<String, Double> qualities = new HashMap<>();
        for (String field : acceptEncoding) {
            for (String item : field.split(",")) {
                String[] parts = item.split(";");
                String coding = parts[0].strip().toLowerCase(Locale.ROOT);
                if (!coding.isEmpty()) {
                    qualities.put(coding.equals("x-gzip") ? "gzip" : coding, quality(parts));
                }
            }
        }
        Double any = qualities.get("*");
        List<Coding> taken = new ArrayList<>(offered.size());
        for (Coding c : offered) {
            Double q = qualities.getOrDefault(c.token(), any);
            if (q != null && q > 0) {
                taken.add(c);
            }
        }
        taken.sort(Comparator.comparingDouble(c -> -qualities.getOrDefault(c.token(), any))); // stable: ties keep offered's order
        return taken;
    }

    /** The {@code q} parameter of one item, 1 when absent; one that does not parse counts as a refusal. */
    private static double quality(String[] parts) {
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].strip().toLowerCase(Locale.ROOT);
            if (p.startsWith("q=")) {
                try {
                    return Double.parseDouble(p.substring(2));
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 1;
    }
}
