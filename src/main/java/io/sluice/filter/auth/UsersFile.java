package io.sluice.filter.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An htpasswd file of bcrypt hashes ({@code user:$2y$10$...}, one a line; blank lines and {@code #} comments
 * skipped), read once per configuration load: a reload reads it again, and a bad file refuses the reload.
 * Other hash kinds (Apache MD5, SHA-1, crypt, plain text) are refused: they are fast to guess, and a proxy
 * that accepted them would make a weak file look fine.
 */
public final class UsersFile {
    /** {@code $2a$}, {@code $2b$}, {@code $2y$} (the same algorithm), a two-digit cost, 22 salt and 31 hash characters. */
    private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$(\\d\\d)\\$[./A-Za-z0-9]{53}");

    private final Map<String, String> hashes;
    private final int maxCost;

    private UsersFile(Map<String, String> hashes, int maxCost) {
        this.hashes = hashes;
        this.maxCost = maxCost;
    }

    /**
     * The {@code users_file} setting as written ({@code file}, resolved by {@code resolve}): the file read, or
     * null with the problems added (an empty setting is one).
     */
    public static UsersFile fromSetting(String file, java.util.function.Function<String, Path> resolve,
            List<String> problems) {
        if (file.isEmpty()) {
            problems.add("users_file is empty (expected the path of an htpasswd file)");
            return null;
        }
        return read(resolve.apply(file), problems);
    }

    /**
     * Reads {@code path}; every problem (the file cannot be read, a line is not {@code user:bcrypt-hash}) is
     * added to {@code problems}, naming the file and line, and the result is then null.
     */
    public static UsersFile read(Path path, List<String> problems) {
        List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            problems.add("users file " + path + " does not exist");
            return null;
        } catch (IOException | RuntimeException e) { // MalformedInputException: not UTF-8
            problems.add("cannot read users file " + path + ": " + e);
            return null;
        }
        int before = problems.size();
        Map<String, String> hashes = new HashMap<>();
        int maxCost = 4;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = path.getFileName() + " line " + (i + 1) + ": ";
            int colon = line.indexOf(':');
            if (colon <= 0) {
                problems.add(where + "expected user:hash (as htpasswd -B writes)");
                continue;
            }
            String user = line.substring(0, colon);
            String hash = line.substring(colon + 1);
            Matcher m = BCRYPT.matcher(hash);
            if (!m.matches()) {
                problems.add(where + "the hash of '" + user + "' is " + kind(hash) + ", not bcrypt: only bcrypt"
                        + " ($2y$, $2b$, $2a$) is accepted (make it with: htpasswd -B " + path.getFileName() + " "
                        + user + ")");
                continue;
            }
            int cost = Integer.parseInt(m.group(1));
            if (cost < 4 || cost > 31) {
                problems.add(where + "the bcrypt cost of '" + user + "' is " + cost + " (expected 4 to 31)");
                continue;
            }
            if (hashes.put(user, hash) != null) {
                problems.add(where + "user '" + user + "' is listed twice");
            }
            maxCost = Math.max(maxCost, cost);
        }
        return problems.size() > before ? null : new UsersFile(Map.copyOf(hashes), maxCost);
    }

    /** What a hash that is not bcrypt is, for the error message. */
    private static String kind(String hash) {
        if (hash.startsWith("$apr1$")) {
            return "Apache MD5 ($apr1$)";
        }
        if (hash.startsWith("{SHA}")) {
            return "SHA-1 ({SHA})";
        }
        if (hash.startsWith("$1$") || hash.startsWith("$5$") || hash.startsWith("$6$") || hash.startsWith("$y$")) {
            return "crypt " + hash.substring(0, hash.indexOf('$', 1) + 1);
        }
        if (hash.startsWith("$2")) {
            return "a malformed or unsupported bcrypt hash";
        }
        return hash.isEmpty() ? "empty" : "crypt(3) DES or plain text";
    }

    /** The bcrypt hash of {@code user}, or null. */
    byte[] hash(String user) {
        String h = hashes.get(user);
        return h == null ? null : h.getBytes(StandardCharsets.US_ASCII);
    }

    /** The highest cost in the file: the dummy hash an unknown user is checked against costs as much. */
    int maxCost() {
        return maxCost;
    }

    public int size() {
        return hashes.size();
    }

    /** The same users with the same hashes: a reload that read the file unchanged keeps its checks' cache. */
    @Override
    public boolean equals(Object o) {
        return o instanceof UsersFile u && u.hashes.equals(hashes);
    }

    @Override
    public int hashCode() {
        return hashes.hashCode();
    }
}
