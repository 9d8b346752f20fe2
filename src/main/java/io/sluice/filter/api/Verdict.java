package io.sluice.filter.api;

import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * What a filter decided about a request: go on with the next filter, answer it here, or decide later.
 * {@link #next()} is a constant (passing costs no allocation).
 */
public final class Verdict {
    private static final Verdict NEXT = new Verdict(null, null);

    private final Reply reply;
    private final CompletionStage<Verdict> later;

    private Verdict(Reply reply, CompletionStage<Verdict> later) {
        this.reply = reply;
        this.later = later;
    }

    /** Pass the request on to the next filter (then to the route's action). */
    public static Verdict next() {
        return NEXT;
    }

    /** Answer the request here; the filters before this one see the answer in their {@link Filter#onResponse}. */
    public static Verdict answer(Reply reply) {
        return new Verdict(Objects.requireNonNull(reply, "reply"), null);
    }

    /** Answer with the proxy's own short plain-text reply for {@code status}, e.g. {@code answer(403, "denied")}. */
    public static Verdict answer(int status, String detail) {
        return answer(Reply.text(status, detail));
    }

    /**
     * Decide when {@code stage} completes (on any thread); the chain resumes on the request's event loop.
     * Meanwhile the client's body is not read further (what was already read is held) and no other request
     * waits for this one. A stage that fails answers 500. A client that leaves meanwhile ends the request:
     * the stage's result is then ignored and {@link FilterContext#onEnd} callbacks run.
     */
    public static Verdict later(CompletionStage<Verdict> stage) {
        return new Verdict(null, Objects.requireNonNull(stage, "stage"));
    }

    public boolean isNext() {
        return this == NEXT || (reply == null && later == null);
    }

    /** The answer, or null when this verdict is not one. */
    public Reply reply() {
        return reply;
    }

    /** The stage to wait on, or null when this verdict is not a later one. */
    public CompletionStage<Verdict> later() {
        return later;
    }

    @Override
    public String toString() {
        return reply != null ? "answer " + reply.status() : later != null ? "later" : "next";
    }
}
