package io.sluice.config;

import java.util.Collection;
import java.util.Locale;

/**
 * "Did you mean" for misspelt keys and names: the closest candidate by edit distance (optimal string
 * alignment, so a swap of two neighbouring letters counts once), compared case-insensitively, when it is
 * close enough to be a likely typo. Ties go to the candidate listed first.
 */
public final class Suggestions {

    private Suggestions() {
    }

    /** The closest candidate to {@code input}, or null when none is close enough. */
    public static String closest(String input, Collection<String> candidates) {
        String in = input.toLowerCase(Locale.ROOT);
        int limit = Math.max(1, Math.min(3, in.length() / 3));
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(in, c.toLowerCase(Locale.ROOT));
            if (d <= limit && d < bestDistance && !c.equals(input)) {
                best = c;
                bestDistance = d;
            }
        }
        return best;
    }

    /** {@code " (did you mean 'x'?)"} when a candidate is close, else the empty string. */
    public static String didYouMean(String input, Collection<String> candidates) {
        String c = closest(input, candidates);
        return c == null ? "" : " (did you mean '" + c + "'?)";
    }

    /** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps. */
    public static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    v = Math.min(v, d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        return d[a.length()][b.length()];
    }
}
