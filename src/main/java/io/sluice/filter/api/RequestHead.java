package io.sluice.filter.api;

/** The request head as it will be forwarded (after the route's {@code strip_prefix}). */
public interface RequestHead {

    /** GET, POST, ... */
    String method();

    /** The path and query, as it will be forwarded. */
    String uri();

    /** {@link #uri()} without its query. */
    String path();

    /** The first value of query parameter {@code name} (decoded), or null. */
    String query(String name);

    /** The value of cookie {@code name}, or null. */
    String cookie(String name);

    Headers headers();

    /** Replaces the path and query; must start with {@code /}. */
    void setUri(String uri);

    /** Replaces the path, keeping the query. */
    void setPath(String path);

    /** The {@code Content-Length} the client declared, or -1 (chunked or no body). */
    long contentLength();
}
