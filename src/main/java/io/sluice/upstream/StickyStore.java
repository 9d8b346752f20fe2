package io.sluice.upstream;

/**
 * Where {@code sticky.learn} keeps its bindings: a session value (the application's cookie) to the token
 * of the endpoint that set it. Any thread; never blocks.
 *
 * <p>{@code store: local} ({@link LocalStickyStore}) answers at once, at each pick. {@code store: redis} cannot
 * answer without waiting, so it is not one of these: {@link RedisStickyStore} is asked once per request, before
 * the first pick, while the request waits without holding its event loop ({@code ProxyCall.start}), and its
 * answer is handed to the pick ({@link StickySessions#endpointFor}).
 */
public interface StickyStore {

    /** The endpoint token bound to {@code session}, or null. Counts as a use of the binding. */
    String endpointToken(String session);

    /** Binds {@code session} to {@code endpointToken} (replacing an older binding). */
    void bind(String session, String endpointToken);
}
