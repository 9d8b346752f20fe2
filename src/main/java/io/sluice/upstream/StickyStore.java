package io.sluice.upstream;

/**
 * Where {@code sticky.learn} keeps its bindings: a session value (the application's cookie) to the token
 * of the endpoint that set it. Any thread; never blocks.
 *
 * <p>The seam for {@code store: redis}: a shared store lets every Sluice instance route a session alike.
 * A Redis store cannot answer {@link #endpointToken} without waiting; it will look the binding up while
 * the request waits in the filter chain (which may wait without blocking) and hand the answer to the
 * pick, and write bindings without waiting. Until then only {@link LocalStickyStore} exists.
 */
public interface StickyStore {

    /** The endpoint token bound to {@code session}, or null. Counts as a use of the binding. */
    String endpointToken(String session);

    /** Binds {@code session} to {@code endpointToken} (replacing an older binding). */
    void bind(String session, String endpointToken);
}
