package io.sluice.upstream;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.sluice.balance.Endpoint;
import io.sluice.balance.PickContext;
import io.sluice.config.StickyConfig;
import io.sluice.state.RedisStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * {@code sticky:} on an upstream: sends a client's requests to the endpoint it was on, while that endpoint
 * is in service, whatever the balancer would pick.
 *
 * <p>Each endpoint has a token: the first 16 hex digits of SHA-256 over the upstream's name and the
 * endpoint's address. It names the endpoint without showing its address, and it is the same in every
 * Sluice process and after a restart or a reload, so cookies keep working across them.
 *
 * <p>Insert mode ({@code cookie: NAME}): a request whose cookie NAME holds the token of an endpoint in
 * service goes there; a response from an endpoint other than the one the request's cookie named (or to a
 * request without it) gets {@code Set-Cookie: NAME=TOKEN; Path=/; HttpOnly} ({@code ; Secure} on https,
 * {@code ; Max-Age=} with {@code ttl}). Learn mode ({@code learn: cookie:NAME}): when a response sets
 * cookie NAME, its value is bound to the endpoint that answered, in the {@link StickyStore}; a request
 * whose cookie NAME has a bound value goes to that endpoint while it is in service. With {@code store: redis}
 * the bindings are in Redis ({@link RedisStickyStore}): the request's binding is looked up before its first
 * pick ({@link #looksUpFirst}, {@link #lookUp}), while the request waits without holding its event loop.
 *
 * <p>Immutable but for the store; any thread. Built per configuration; the local store is handed on by a
 * reload that keeps the settings (the Redis one holds nothing of its own: the bindings are in Redis).
 */
public final class StickySessions {
    private final StickyConfig config;
    private final String cookie;
    private final Map<String, Endpoint> byToken;
    private final String[] tokens;
    /** Learn mode with {@code store: local}; else null. */
    private final StickyStore store;
    /** Learn mode with {@code store: redis}; else null. */
    private final RedisStickyStore shared;
    /** {@code store: redis}: Redis names an endpoint by its configured address; else null. */
    private final Map<String, Endpoint> byAddress;
    private final String attributes;

    /** @param redis the running proxy's {@code redis:} store, asked for at each use (null: none) */
    StickySessions(StickyConfig config, String upstream, List<Endpoint> endpoints, StickySessions before,
                   Supplier<RedisStore> redis) {
        this.config = config;
        this.cookie = config.insert() ? config.cookie() : config.learnCookie();
        this.tokens = new String[Endpoint.slots(endpoints)];
        this.byToken = new HashMap<>();
        for (Endpoint e : endpoints) {
            String token = token(upstream, e.address());
            tokens[e.index()] = token;
            byToken.put(token, e);
        }
        if (config.insert()) {
            this.store = null;
            this.shared = null;
            this.byAddress = null;
            this.attributes = "; Path=/" + (config.ttl() == null ? "" : "; Max-Age=" + config.ttl().toSeconds())
                    + "; HttpOnly";
        } else if (StickyConfig.REDIS.equals(config.store())) {
            this.store = null;
            this.shared = new RedisStickyStore(upstream, config.ttl(), redis == null ? () -> null : redis);
            this.byAddress = new HashMap<>();
            for (Endpoint e : endpoints) {
                byAddress.put(e.address(), e);
            }
            this.attributes = null;
        } else {
            this.store = before != null && before.config.equals(config) ? before.store
                    : new LocalStickyStore(config.ttl());
            this.shared = null;
            this.byAddress = null;
            this.attributes = null;
        }
    }

    static String token(String upstream, String address) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((upstream + "\n" + address).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }

    public StickyConfig config() {
        return config;
    }

    /** The token of {@code endpoint} (one of the upstream's). */
    public String token(Endpoint endpoint) {
        return tokens[endpoint.index()];
    }

    /**
     * The endpoint the request is bound to, when it is in service and not tried already by this request;
     * null when the balancer should pick.
     *
     * @param sharedBinding with {@code store: redis}, what {@link #lookUp} found before the first pick (null:
     *                      none); unused otherwise
     */
    Endpoint endpointFor(PickContext request, Endpoint sharedBinding) {
        Endpoint e;
        if (shared != null) {
            e = sharedBinding;
        } else {
            String value = request.cookie(cookie);
            if (value == null) {
                return null;
            }
            String token = store == null ? value : store.endpointToken(value);
            e = token == null ? null : byToken.get(token);
        }
        return e != null && e.inService() && !request.tried(e) ? e : null;
    }

    /** Whether a request's binding is looked up (in Redis) before its first pick: {@code store: redis}. */
    boolean looksUpFirst() {
        return shared != null;
    }

    /** The session the request brings: the value of the learned cookie, or null. */
    String session(PickContext request) {
        return request.cookie(cookie);
    }

    /**
     * {@code store: redis}: the endpoint {@code session} is bound to, or null (none, one this configuration does
     * not have, or Redis cannot answer in time). Never completes exceptionally; completes on a Redis thread, or
     * at once.
     */
    CompletionStage<Endpoint> lookUp(String session) {
        return shared.endpointAddress(session).thenApply(address -> address == null ? null : byAddress.get(address));
    }

    /**
     * A response head from {@code endpoint} on its way to the client: insert mode sets the cookie when the
     * request did not name this endpoint; learn mode binds the session cookie the response sets.
     */
    void onResponse(HttpHeaders response, Endpoint endpoint, PickContext request, boolean secure) {
        String token = tokens[endpoint.index()];
        if (attributes != null) { // insert mode
            if (!token.equals(request.cookie(cookie))) {
                response.add(HttpHeaderNames.SET_COOKIE, cookie + "=" + token + attributes + (secure ? "; Secure" : ""));
            }
            return;
        }
        for (String setCookie : response.getAll(HttpHeaderNames.SET_COOKIE)) {
            String value = valueOf(setCookie, cookie);
            if (value != null && !value.isEmpty()) {
                if (shared != null) {
                    shared.bind(value, endpoint.address()); // fire and forget
                } else {
                    store.bind(value, token);
                }
            }
        }
    }

    /** The value a {@code Set-Cookie} header gives cookie {@code name}, or null when it sets another one. */
    static String valueOf(String setCookie, String name) {
        int i = 0;
        while (i < setCookie.length() && setCookie.charAt(i) == ' ') {
            i++;
        }
        if (!setCookie.startsWith(name, i) || setCookie.length() <= i + name.length()) {
            return null;
        }
        int eq = i + name.length();
        while (eq < setCookie.length() && setCookie.charAt(eq) == ' ') {
            eq++;
        }
        if (eq >= setCookie.length() || setCookie.charAt(eq) != '=') {
            return null;
        }
        int end = setCookie.indexOf(';', eq);
        String value = (end < 0 ? setCookie.substring(eq + 1) : setCookie.substring(eq + 1, end)).strip();
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1);
        }
        return value;
    }

    /** For tests: how many bindings learn mode holds. */
    long bindings() {
        return store instanceof LocalStickyStore local ? local.size() : 0;
    }
}
