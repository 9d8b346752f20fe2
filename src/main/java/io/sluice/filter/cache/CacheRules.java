package io.sluice.filter.cache;

import io.netty.handler.codec.DateFormatter;
import io.sluice.filter.api.Headers;
import io.sluice.response.Conditionals;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** What RFC 9111 (and RFC 9110's conditionals) decide for a shared cache: what is stored, for how long, what is 304. */
public final class CacheRules {
    /** Statuses that may be stored without explicit freshness ("heuristically cacheable", RFC 9110 §15.1), for {@code default_ttl}. */
    static final Set<Integer> DEFAULT_TTL_STATUSES = Set.of(200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501);

    /** Fields never stored: framing, hop-by-hop, per-request, and those the cache writes itself. */
    private static final Set<String> NOT_STORED = Set.of("connection", "keep-alive", "proxy-connection",
            "transfer-encoding", "te", "trailer", "upgrade", "content-length", "age", "cache-status", "x-request-id",
            "set-cookie", "proxy-authenticate", "alt-svc");

    /**
     * Fields of the stored representation itself that a 304 does not replace: it says the stored response is still
     * good, and one that names another tag or encoding (an origin comparing weakly, say, against a copy a filter
     * after the cache compressed) would otherwise give the stored bytes metadata that is not theirs.
     */
    private static final Set<String> REPRESENTATION_FIELDS = Set.of("etag", "content-encoding", "content-type",
            "content-range");

    /** Fields a 304 carries from the stored response (RFC 9110 §15.4.5). */
    private static final Set<String> NOT_MODIFIED_FIELDS = Set.of("cache-control", "content-location", "date", "etag",
            "expires", "vary");

    private CacheRules() {
    }

    /**
     * How long a response is fresh (milliseconds), or -1 when it may not be stored (RFC 9111 §3): only answers to
     * GET, never {@code no-store} or {@code private}, never with {@code Set-Cookie}, never to a request with
     * {@code Authorization} unless {@code public}, {@code s-maxage} or {@code must-revalidate} allow it, never
     * {@code Vary: *}; explicit freshness ({@code s-maxage}, {@code max-age}, {@code Expires}) or else
     * {@code defaultTtlMillis} for the statuses RFC 9110 lets a cache choose a lifetime for. A response with
     * {@code no-cache} is stored with lifetime 0 (revalidated at every use), when it can be revalidated.
     */
    public static long lifetime(int status, Headers response, boolean requestAuthorized, long defaultTtlMillis,
                                long now) {
        if (status < 200 || status == 206 || status == 304 || status > 599 || response.contains("Set-Cookie")) {
            return -1;
        }
        CacheControl cc = CacheControl.parse(response.getAll("Cache-Control"), false);
        if (cc.noStore() || cc.isPrivate()) {
            return -1;
        }
        if (requestAuthorized && !cc.isPublic() && cc.sMaxAge() < 0 && !cc.mustRevalidate()) {
            return -1;
        }
        for (String v : varyNames(response.getAll("Vary"))) {
            if (v.equals("*")) {
                return -1;
            }
        }
        boolean validator = response.contains("ETag") || response.contains("Last-Modified");
        if (cc.noCache()) { // stored to be revalidated at every use, which needs a validator
            return validator ? 0 : -1;
        }
        long lifetime = explicit(cc, response.get("Expires"), response.get("Date"), now);
        if (lifetime < 0) {
            if (defaultTtlMillis <= 0 || !DEFAULT_TTL_STATUSES.contains(status)) {
                return -1;
            }
            lifetime = defaultTtlMillis;
        }
        return lifetime > 0 || validator ? lifetime : -1;
    }

    /** The freshness the response declares (RFC 9111 §4.2.1), or -1 when it declares none. */
    static long explicit(CacheControl cc, String expires, String date, long now) {
        if (cc.sMaxAge() >= 0) {
            return cc.sMaxAge() * 1000;
        }
        if (cc.maxAge() >= 0) {
            return cc.maxAge() * 1000;
        }
        if (expires != null) {
            Date at = DateFormatter.parseHttpDate(expires);
            if (at == null) {
                return 0; // an invalid Expires (e.g. "0") means already expired
            }
            Date from = date == null ? null : DateFormatter.parseHttpDate(date);
            return Math.max(0, at.getTime() - (from == null ? now : from.getTime()));
        }
        return -1;
    }

    /** The age a response has on arrival (RFC 9111 §4.2.3, without the response delay): its Age, or how late its Date is. */
    public static long initialAge(String age, String date, long now) {
        long ageValue = 0;
        if (age != null) {
            try {
                ageValue = Math.max(0, Long.parseLong(age.strip())) * 1000;
            } catch (NumberFormatException e) {
                ageValue = 0;
            }
        }
        Date d = date == null ? null : DateFormatter.parseHttpDate(date);
        long apparent = d == null ? 0 : Math.max(0, now - d.getTime());
        return Math.max(ageValue, apparent);
    }

    /** The field names of {@code Vary}, lower case, in order, without repeats. */
    public static List<String> varyNames(List<String> vary) {
        List<String> names = new ArrayList<>(2);
        for (String field : vary) {
            for (String n : field.split(",")) {
                String name = n.strip().toLowerCase(Locale.ROOT);
                if (!name.isEmpty() && !names.contains(name)) {
                    names.add(name);
                }
            }
        }
        return names;
    }

    /** The response's fields worth storing, in order. */
    public static List<Map.Entry<String, String>> storedFields(Headers response) {
        List<Map.Entry<String, String>> kept = new ArrayList<>();
        for (Map.Entry<String, String> h : response) {
            if (!NOT_STORED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                kept.add(Map.entry(h.getKey(), h.getValue()));
            }
        }
        return List.copyOf(kept);
    }

    /**
     * The stored response brought up to date by a 304 (RFC 9111 §4.3.4): each field the 304 has replaces the
     * stored one but the representation's own ({@link #REPRESENTATION_FIELDS}), and its age and freshness start
     * again from the 304.
     */
    public static StoredResponse refresh(StoredResponse stored, Headers notModified, long defaultTtlMillis, long now) {
        List<Map.Entry<String, String>> merged = new ArrayList<>();
        List<Map.Entry<String, String>> fresh = new ArrayList<>();
        for (Map.Entry<String, String> f : storedFields(notModified)) {
            if (!REPRESENTATION_FIELDS.contains(f.getKey().toLowerCase(Locale.ROOT))) {
                fresh.add(f);
            }
        }
        for (Map.Entry<String, String> h : stored.headers()) {
            if (!named(fresh, h.getKey())) {
                merged.add(h);
            }
        }
        merged.addAll(fresh);
        StoredResponse base = new StoredResponse(stored.status(), List.copyOf(merged), stored.body(), now,
                initialAge(notModified.get("Age"), notModified.get("Date"), now), 0, stored.vary());
        CacheControl cc = CacheControl.parse(base.headers("Cache-Control"), false);
        long lifetime = explicit(cc, base.header("Expires"), base.header("Date"), now);
        if (lifetime < 0) {
            lifetime = DEFAULT_TTL_STATUSES.contains(stored.status()) ? Math.max(0, defaultTtlMillis) : 0;
        }
        if (cc.noCache()) {
            lifetime = 0;
        }
        return new StoredResponse(base.status(), base.headers(), base.body(), now, base.initialAgeMillis(), lifetime,
                base.vary());
    }

    private static boolean named(List<Map.Entry<String, String>> fields, String name) {
        for (Map.Entry<String, String> f : fields) {
            if (f.getKey().equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a conditional GET or HEAD would get 304 from {@code stored} (RFC 9110 §13.2.2, as static files
     * answer it: {@link Conditionals}); only a stored 200 can.
     */
    public static boolean notModified(StoredResponse stored, List<String> ifNoneMatch, String ifModifiedSince) {
        return stored.status() == 200 && Conditionals.notModified(ifNoneMatch, ifModifiedSince, stored.header("ETag"),
                Conditionals.millisOf(stored.header("Last-Modified")));
    }

    /** The stored fields a 304 from the cache carries. */
    public static List<Map.Entry<String, String>> notModifiedFields(StoredResponse stored) {
        List<Map.Entry<String, String>> kept = new ArrayList<>();
        for (Map.Entry<String, String> h : stored.headers()) {
            if (NOT_MODIFIED_FIELDS.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                kept.add(h);
            }
        }
        return kept;
    }
}
