package io.sluice.balance;

import java.util.Locale;

/**
 * What {@code consistent_hash} hashes, parsed once from {@code hash_on}: {@code source_ip}, {@code uri}
 * (path and query), {@code path}, {@code header:NAME}, {@code cookie:NAME} or {@code query:NAME}.
 * The kinds are case-insensitive; NAME keeps its case (header names are matched case-insensitively by
 * {@link PickContext#header}).
 */
public final class HashKey {
    /** The key {@code consistent_hash} uses when {@code hash_on} is not given. */
    public static final HashKey SOURCE_IP = new HashKey(Kind.SOURCE_IP, null);

    private enum Kind { SOURCE_IP, URI, PATH, HEADER, COOKIE, QUERY }

    private final Kind kind;
    private final String name;

    private HashKey(Kind kind, String name) {
        this.kind = kind;
        this.name = name;
    }

    /**
     * Parses a {@code hash_on} value; the message of the exception is fit for a configuration error,
     * e.g. {@code hash_on: 'header:' (expected: source_ip, uri, path, header:NAME, cookie:NAME or query:NAME)}.
     */
    public static HashKey parse(String spec) {
        String s = spec == null ? "" : spec.trim();
        int colon = s.indexOf(':');
        String kind = (colon < 0 ? s : s.substring(0, colon)).toLowerCase(Locale.ROOT);
        String name = colon < 0 ? null : s.substring(colon + 1).trim();
        HashKey key = null;
        if (name == null) {
            key = switch (kind) {
                case "source_ip" -> SOURCE_IP;
                case "uri" -> new HashKey(Kind.URI, null);
                case "path" -> new HashKey(Kind.PATH, null);
                default -> null;
            };
        } else if (!name.isEmpty()) {
            key = switch (kind) {
                case "header" -> new HashKey(Kind.HEADER, name);
                case "cookie" -> new HashKey(Kind.COOKIE, name);
                case "query" -> new HashKey(Kind.QUERY, name);
                default -> null;
            };
        }
        if (key == null) {
            throw new IllegalArgumentException("hash_on: '" + spec
                    + "' (expected: source_ip, uri, path, header:NAME, cookie:NAME or query:NAME)");
        }
        return key;
    }

    /** The request's key, or null when it has none (the balancer then goes round robin). No allocation. */
    public String of(PickContext context) {
        return switch (kind) {
            case SOURCE_IP -> context.sourceIp();
            case URI -> context.uri();
            case PATH -> context.path();
            case HEADER -> context.header(name);
            case COOKIE -> context.cookie(name);
            case QUERY -> context.queryParam(name);
        };
    }

    /** The canonical {@code hash_on} text. */
    @Override
    public String toString() {
        String k = kind.name().toLowerCase(Locale.ROOT);
        return name == null ? k : k + ":" + name;
    }

    /**
     * A 64-bit hash of {@code s}: FNV-1a over its UTF-16 code units, then the murmur3 finalizer
     * ({@link #mix}) so every input bit affects every output bit. Stable across runs and JVMs (unlike
     * {@link String#hashCode()} it is 64-bit, and unlike it, stated here). No allocation.
     */
    static long hash(CharSequence s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0, n = s.length(); i < n; i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        return mix(h);
    }

    /** murmur3's fmix64. */
    static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
