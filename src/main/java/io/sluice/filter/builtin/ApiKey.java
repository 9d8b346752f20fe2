package io.sluice.filter.builtin;

import io.netty.handler.codec.http.QueryStringDecoder;
import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterContext;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSettings;
import io.sluice.filter.api.FilterSetup;
import io.sluice.filter.api.Verdict;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code api_key}: a request must bring one of the keys of {@code keys_file} (one a line, {@code #} comments) in
 * the {@code header} (default {@code X-API-Key}) or, with {@code query}, in that query parameter; a missing or
 * unknown key is answered 401. The key is taken out of the forwarded request (header or query parameter), so
 * the upstream never sees it. The file is read when the configuration is loaded, so {@code check} and a reload
 * report a bad one and a reload picks up a changed one.
 *
 * <p>Keys are compared in constant time, each against every configured key (what takes long is the number of
 * keys, never how much of one matched), so the answer's timing tells nothing about a key.
 */
public final class ApiKey implements FilterFactory<ApiKey.Settings> {
    static final String DEFAULT_HEADER = "X-API-Key";

    /** {@code query} null: the key comes in {@code header}. */
    public record Settings(String header, String query, List<byte[]> keys) {
    }

    @Override
    public String type() {
        return "api_key";
    }

    @Override
    public List<String> keys() {
        return List.of("header", "query", "keys_file");
    }

    @Override
    public Settings configure(FilterSettings s) {
        if (s.has("header") && s.has("query")) {
            s.error("query", "'header' and 'query' exclude each other: the key comes in one place");
            return null;
        }
        String header = s.string("header", DEFAULT_HEADER);
        String query = s.string("query", null);
        if (header.isBlank() || (query != null && query.isBlank())) {
            s.error(query != null ? "query" : "header", "must not be empty");
            return null;
        }
        if (!s.require("keys_file")) {
            return null;
        }
        String file = s.string("keys_file", "");
        Path path = s.resolve(file);
        List<byte[]> keys = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(path, StandardCharsets.UTF_8)) {
                String key = line.strip();
                if (!key.isEmpty() && !key.startsWith("#")) {
                    keys.add(key.getBytes(StandardCharsets.UTF_8));
                }
            }
        } catch (IOException e) {
            s.error("keys_file", "cannot read keys file '" + file + "' (resolved to " + path + "): " + e.getMessage());
            return null;
        }
        if (keys.isEmpty()) {
            s.error("keys_file", "keys file '" + file + "' holds no key (one a line; '#' starts a comment)");
            return null;
        }
        return new Settings(header, query, List.copyOf(keys));
    }

    @Override
    public Filter create(Settings settings, FilterSetup setup) {
        byte[][] keys = settings.keys().toArray(new byte[0][]);
        String header = settings.header();
        String query = settings.query();
        return new Filter() {
            @Override
            public Verdict onRequest(FilterContext context) {
                String given;
                if (query != null) {
                    String uri = context.request().uri();
                    try {
                        given = parameter(uri, query);
                    } catch (IllegalArgumentException badEscape) { // its message quotes the key: not passed on
                        return Verdict.answer(400, "a bad %-escape in the API key's query parameter");
                    }
                    if (given != null) {
                        context.request().setUri(withoutParameter(uri, query));
                    }
                } else {
                    given = context.request().headers().get(header);
                    context.request().headers().remove(header);
                }
                if (given == null || given.isEmpty()) {
                    return Verdict.answer(401, "an API key is required");
                }
                return known(keys, given.getBytes(StandardCharsets.UTF_8)) ? Verdict.next()
                        : Verdict.answer(401, "unknown API key");
            }
        };
    }

    /** Whether {@code given} is one of {@code keys}; every key is compared, each in constant time. */
    static boolean known(byte[][] keys, byte[] given) {
        boolean found = false;
        for (byte[] key : keys) {
            found |= MessageDigest.isEqual(key, given);
        }
        return found;
    }

    /**
     * The first value of query parameter {@code name} in {@code uri}, percent-decoded; null when absent. Read
     * as {@link #withoutParameter} removes it: pairs split on {@code &} only (a {@code ;} is part of a value),
     * so a key that is read is always a key that is removed.
     */
    static String parameter(String uri, String name) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return null;
        }
        for (String pair : uri.substring(q + 1).split("&", -1)) {
            int eq = pair.indexOf('=');
            if (!pair.isEmpty() && decoded(eq < 0 ? pair : pair.substring(0, eq)).equals(name)) {
                return eq < 0 ? "" : QueryStringDecoder.decodeComponent(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    /** {@code uri} without every {@code name=...} parameter of its query (the rest kept in order). */
    static String withoutParameter(String uri, String name) {
        int q = uri.indexOf('?');
        if (q < 0) {
            return uri;
        }
        StringBuilder kept = new StringBuilder();
        for (String pair : uri.substring(q + 1).split("&", -1)) {
            int eq = pair.indexOf('=');
            String key = decoded(eq < 0 ? pair : pair.substring(0, eq));
            if (key.equals(name) || pair.isEmpty()) {
                continue;
            }
            kept.append(kept.length() == 0 ? "" : "&").append(pair);
        }
        return kept.length() == 0 ? uri.substring(0, q) : uri.substring(0, q + 1) + kept;
    }

    private static String decoded(String name) {
        try {
            return java.net.URLDecoder.decode(name, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) { // a bad %-escape: compared as written
            return name;
        }
    }
}
