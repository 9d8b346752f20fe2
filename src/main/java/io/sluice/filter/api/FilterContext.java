package io.sluice.filter.api;

import java.util.concurrent.ScheduledExecutorService;

/**
 * One request as the filters see it: its head, its response head once there is one, the client, and
 * per-request attributes. Used on the request's event loop only (see {@link #executor()}).
 */
public interface FilterContext {

    /** The request head; changes are what the next filters and the upstream see. */
    RequestHead request();

    /** The response head, in {@link Filter#onResponse} and after; null before a response exists. */
    ResponseHead response();

    /** The client's address (IPv6 without brackets). */
    String clientIp();

    /** The {@code X-Request-ID} of the request (the client's when acceptable, else one Sluice made). */
    String requestId();

    /** {@code http} or {@code https}: the scheme the client used. */
    default String scheme() {
        return "http";
    }

    /**
     * The path and query as the client sent them (normalised), before the route's {@code strip_prefix} and any
     * filter's rewrite: what names the resource to the client (the cache keys on it).
     */
    default String clientUri() {
        return request().uri();
    }

    /** The listener's name. */
    String listener();

    /** The matched route's name; "" when no route matched (a listener filter sees the request before a 404). */
    String route();

    /**
     * The request's event loop: schedule timers on it and resume work on it. Tasks given to it run on the
     * thread that runs the filter methods, so they need no locks for per-request state.
     */
    ScheduledExecutorService executor();

    /** True once the response head went to the client (a body filter can then no longer answer). */
    boolean responseStarted();

    /** A per-request attribute, or null. */
    <T> T get(Key<T> key);

    /** Sets a per-request attribute (seen by every filter of this request). */
    <T> void set(Key<T> key, T value);

    /**
     * Runs {@code callback} once when the request ends: its response is complete, it failed, or the client
     * left (also while it waits in a filter). On the event loop, in the reverse order of registration. For
     * releasing what a filter took for the request (a concurrency slot, a queue place).
     */
    void onEnd(Runnable callback);

    /** A typed name for a per-request attribute; compare by identity, keep one in a static field. */
    final class Key<T> {
        private final String name;

        private Key(String name) {
            this.name = name;
        }

        public static <T> Key<T> of(String name) {
            return new Key<>(name);
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
