package io.sluice.filter.api;

import java.util.Locale;

/**
 * The key vocabulary filters share ({@code key:} in rate_limit, concurrency_limit, ...): {@code client_ip},
 * {@code header:NAME}, {@code cookie:NAME}, {@code query:NAME}, {@code route} (one value for every request
 * of the route). Parsed once, at configuration time; {@link #of} is then cheap per request.
 */
public final class RequestKey {
    private enum Kind { CLIENT_IP, HEADER, COOKIE, QUERY, ROUTE }

    /** The one value every request shares under {@code key: route}. */
    public static final String ROUTE_VALUE = "route";

    private final Kind kind;
    private final String name;
    private final String text;

    private RequestKey(Kind kind, String name, String text) {
        this.kind = kind;
        this.name = name;
        this.text = text;
    }

    /**
     * Parses {@code text}; an {@link IllegalArgumentException} says what is wrong (for
     * {@link FilterSettings#value}).
     */
    public static RequestKey parse(String text) {
        String t = text.strip();
        switch (t) {
            case "client_ip":
                return new RequestKey(Kind.CLIENT_IP, null, t);
            case "route":
                return new RequestKey(Kind.ROUTE, null, t);
            default:
                break;
        }
        int colon = t.indexOf(':');
        String prefix = colon < 0 ? t : t.substring(0, colon).toLowerCase(Locale.ROOT);
        String name = colon < 0 ? "" : t.substring(colon + 1).strip();
        Kind kind = switch (prefix) {
            case "header" -> Kind.HEADER;
            case "cookie" -> Kind.COOKIE;
            case "query" -> Kind.QUERY;
            default -> null;
        };
        if (kind == null || colon < 0) {
            throw new IllegalArgumentException("bad key '" + text
                    + "' (expected client_ip, route, header:NAME, cookie:NAME or query:NAME)");
        }
        if (name.isEmpty()) {
            throw new IllegalArgumentException("bad key '" + text + "': the " + prefix + " name is missing");
        }
        return new RequestKey(kind, name, t);
    }

    /** The key's value for this request, or null when the request lacks it (then it is not counted). */
    public String of(FilterContext context) {
        return switch (kind) {
            case CLIENT_IP -> context.clientIp();
            case ROUTE -> ROUTE_VALUE;
            case HEADER -> context.request().headers().get(name);
            case COOKIE -> context.request().cookie(name);
            case QUERY -> context.request().query(name);
        };
    }

    /** True for {@code route}: every request has the same value. */
    public boolean isShared() {
        return kind == Kind.ROUTE;
    }

    @Override
    public String toString() {
        return text;
    }
}
