package io.sluice.balance;

/**
 * What a balancer may know about the request it is choosing for. Implementations are per request and
 * cheap: values are looked up only when a balancer asks.
 */
public interface PickContext {

    /** The client's address as text (IPv6 without brackets), or null when unknown. */
    String sourceIp();

    /** The request target as received: path and query. */
    String uri();

    /** The path without the query. */
    String path();

    /** The first value of header {@code name} (case-insensitive), or null. */
    String header(String name);

    /** The value of cookie {@code name}, or null. */
    String cookie(String name);

    /** The first value of query parameter {@code name} (percent-decoded), or null. */
    String queryParam(String name);

    /** True when an earlier attempt of this request already went to {@code endpoint}: retries avoid it. */
    boolean tried(Endpoint endpoint);

    /** A context with nothing in it: for tcp connections and tests. */
    PickContext EMPTY = new PickContext() {
        @Override public String sourceIp() { return null; }
        @Override public String uri() { return "/"; }
        @Override public String path() { return "/"; }
        @Override public String header(String name) { return null; }
        @Override public String cookie(String name) { return null; }
        @Override public String queryParam(String name) { return null; }
        @Override public boolean tried(Endpoint endpoint) { return false; }
    };
}
