package io.sluice.filter.api;

/**
 * One link of a route's (or listener's) filter chain. Filters run in order on the request and in reverse
 * order on the response (the onion): a filter's {@link #onResponse} sees the answer of everything after it,
 * including the upstream's. Every method has a pass-through default, so a filter overrides only what it uses.
 *
 * <p>One instance serves every request of its route (and, for listener filters, of its listener), on
 * several event loops at once: per-request state goes in {@link FilterContext#set}, shared state must be
 * thread-safe. Every method runs on the request's event loop and must not block.
 *
 * <p>An exception thrown by {@link #onRequest} or {@link #onRequestBody} answers the request with 500
 * (the connection and every other request carry on); one thrown by {@link #onResponse} or
 * {@link #onResponseBody} is logged and that filter is skipped for that response.
 */
public interface Filter {

    /**
     * The request head arrived (body parts may follow). Return {@link Verdict#next()} to pass it on,
     * {@link Verdict#answer} to answer it here (the filters after this one and the upstream see nothing of
     * it), or {@link Verdict#later} to wait on something without holding the event loop.
     */
    default Verdict onRequest(FilterContext context) {
        return Verdict.next();
    }

    /**
     * One part of the request body, in order; called only when {@link #wantsRequestBody()} is true and the
     * request passed this filter. May read or {@link BodyPart#replace replace} the part; may answer (then the
     * upstream request is aborted: answered when no response started, the connection closed otherwise).
     * {@link Verdict#later} is not allowed here.
     */
    default Verdict onRequestBody(FilterContext context, BodyPart part) {
        return Verdict.next();
    }

    /**
     * The response head, before it goes to the client: every response, whether it came from the upstream,
     * a {@code respond} or {@code static} route, the proxy's own error replies, or a filter after this one.
     * {@link FilterContext#response()} is the head to read or change.
     */
    default void onResponse(FilterContext context) {
    }

    /** One part of the response body; called only when {@link #wantsResponseBody()} is true. */
    default void onResponseBody(FilterContext context, BodyPart part) {
    }

    /** Whether {@link #onRequestBody} is to be called; fixed for the filter's life (read once per configuration). */
    default boolean wantsRequestBody() {
        return false;
    }

    /** Whether {@link #onResponseBody} is to be called; fixed for the filter's life. */
    default boolean wantsResponseBody() {
        return false;
    }
}
