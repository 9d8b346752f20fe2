package io.sluice.filter.auth;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Flow;

/**
 * Calls to an auth or key service made with the JDK's HTTP client, bounded in time and in size. The client's
 * own request timeout stops at the response headers: a service that sends a head and then stalls in the body
 * would hold the call (and whatever waits for it) forever.
 */
public final class HttpCalls {
    private HttpCalls() {
    }

    /**
     * {@code call}, failed with a {@link java.util.concurrent.TimeoutException} unless complete (head and body)
     * within {@code limit}; the call is then cancelled, which makes the JDK client drop its exchange.
     */
    public static <T> CompletableFuture<T> within(CompletableFuture<T> call, Duration limit) {
        CompletableFuture<T> timed = call.copy().orTimeout(limit.toNanos(), TimeUnit.NANOSECONDS);
        timed.whenComplete((result, failure) -> {
            if (failure != null) {
                call.cancel(true);
            }
        });
        return timed;
    }

    /** A body of at most {@code max} bytes; a larger one fails the call. */
    public static HttpResponse.BodyHandler<byte[]> upTo(int max) {
        return info -> new BoundedBody(max);
    }

    /** The cause of a failed call, out of the CompletionException that carries it. */
    public static Throwable cause(Throwable failure) {
        return failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
    }

    private static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int max;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final CompletableFuture<byte[]> body = new CompletableFuture<>();
        private Flow.Subscription subscription;

        BoundedBody(int max) {
            this.max = max;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return body;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            for (ByteBuffer b : items) {
                if (bytes.size() + b.remaining() > max) {
                    subscription.cancel();
                    body.completeExceptionally(new java.io.IOException("answer body over " + max + " bytes"));
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                bytes.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable t) {
            body.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            body.complete(bytes.toByteArray());
        }
    }
}
