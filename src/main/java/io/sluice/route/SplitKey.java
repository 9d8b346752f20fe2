package io.sluice.route;

import io.netty.handler.codec.http.HttpRequest;

/**
 * {@code split_on}: a key of the gateway vocabulary, parsed once from the configuration: {@code client_ip},
 * {@code header:NAME}, {@code cookie:NAME} or {@code query:NAME} ({@code route} means nothing to a split).
 * {@link #of} reads the request's value, null when the request has none. It reads the raw request: a
 * split is chosen when the request is forwarded, outside any filter's context.
 */
public final class SplitKey {
    private enum Kind { CLIENT_IP, HEADER, COOKIE, QUERY }

    private final Kind kind;
    private final String name;

    private SplitKey(Kind kind, String name) {
        this.kind = kind;
        this.name = name;
    }

    /** Parses a key the configuration checked already; IllegalArgumentException for anything else. */
    public static SplitKey parse(String spec) {
        if (spec.equals("client_ip")) {
            return new SplitKey(Kind.CLIENT_IP, null);
        }
        int colon = spec.indexOf(':');
        String kind = colon < 0 ? spec : spec.substring(0, colon);
        String name = colon < 0 ? "" : spec.substring(colon + 1);
        if (!name.isEmpty()) {
            switch (kind) {
                case "header":
                    return new SplitKey(Kind.HEADER, name);
                case "cookie":
                    return new SplitKey(Kind.COOKIE, name);
                case "query":
                    return new SplitKey(Kind.QUERY, name);
                default:
                    break;
            }
        }
        throw new IllegalArgumentException("bad key '" + spec + "' (expected client_ip, header:NAME, cookie:NAME or query:NAME)");
    }

    /** The request's value for this key, or null when it has none. */
    public String of(HttpRequest request, String clientIp) {
        return switch (kind) {
            case CLIENT_IP -> clientIp == null || clientIp.isEmpty() ? null : clientIp;
            case HEADER -> request.headers().get(name);
            case COOKIE -> RequestValues.cookie(request.headers(), name);
            case QUERY -> RequestValues.query(request.uri(), name);
        };
    }

    @Override
    public String toString() {
        return kind == Kind.CLIENT_IP ? "client_ip" : kind.name().toLowerCase(java.util.Locale.ROOT) + ":" + name;
    }
}
