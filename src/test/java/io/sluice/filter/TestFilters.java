package io.sluice.filter;

import io.sluice.filter.api.BodyPart;
import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterContext;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSettings;
import io.sluice.filter.api.FilterSetup;
import io.sluice.filter.api.Verdict;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Filters for tests, on the test class path through META-INF/services (as a plugin would be):
 * {@code test_tag} appends its name to X-Order on the request and the response, {@code test_wait} waits
 * {@code delay} before passing, {@code test_throw} throws, {@code test_noop} does nothing,
 * {@code test_body} counts request body bytes into X-Body-Seen of the response.
 */
public final class TestFilters {
    /** Requests that passed a test_wait filter's wait, and ones whose wait ended after the client left. */
    public static final AtomicInteger WAITS_DONE = new AtomicInteger();
    public static final AtomicInteger ENDS = new AtomicInteger();

    private TestFilters() {
    }

    static String append(String existing, String name) {
        return existing == null ? name : existing + "," + name;
    }

    public static final class Tag implements FilterFactory<String> {
        @Override
        public String type() {
            return "test_tag";
        }

        @Override
        public List<String> keys() {
            return List.of("name");
        }

        @Override
        public String configure(FilterSettings s) {
            return s.require("name") ? s.string("name", null) : null;
        }

        @Override
        public Filter create(String name, FilterSetup setup) {
            return new Filter() {
                @Override
                public Verdict onRequest(FilterContext c) {
                    c.request().headers().set("X-Order", append(c.request().headers().get("X-Order"), name));
                    return Verdict.next();
                }

                @Override
                public void onResponse(FilterContext c) {
                    c.response().headers().set("X-Order", append(c.response().headers().get("X-Order"), name));
                }
            };
        }
    }

    public static final class Wait implements FilterFactory<Duration> {
        @Override
        public String type() {
            return "test_wait";
        }

        @Override
        public List<String> keys() {
            return List.of("delay");
        }

        @Override
        public Duration configure(FilterSettings s) {
            return s.duration("delay", Duration.ofMillis(200));
        }

        @Override
        public Filter create(Duration delay, FilterSetup setup) {
            return new Filter() {
                @Override
                public Verdict onRequest(FilterContext c) {
                    CompletableFuture<Verdict> later = new CompletableFuture<>();
                    c.onEnd(ENDS::incrementAndGet);
                    // off the event loop on purpose: the chain must come back to it by itself
                    CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
                        WAITS_DONE.incrementAndGet();
                        later.complete(Verdict.next());
                    });
                    return Verdict.later(later);
                }
            };
        }
    }

    public static final class Throw implements FilterFactory<String> {
        @Override
        public String type() {
            return "test_throw";
        }

        @Override
        public List<String> keys() {
            return List.of("on");
        }

        @Override
        public String configure(FilterSettings s) {
            return s.string("on", "request");
        }

        @Override
        public Filter create(String on, FilterSetup setup) {
            return new Filter() {
                @Override
                public Verdict onRequest(FilterContext c) {
                    if (on.equals("request")) {
                        throw new IllegalStateException("test_throw on the request " + c.request().uri()); // as decoders quote it
                    }
                    if (on.equals("later")) {
                        return Verdict.later(CompletableFuture.failedFuture(new IllegalStateException("failed stage")));
                    }
                    return Verdict.next();
                }

                @Override
                public void onResponse(FilterContext c) {
                    if (on.equals("response")) {
                        throw new IllegalStateException("test_throw on the response");
                    }
                }
            };
        }
    }

    /** Counts requests once the chain pass they started is over (a task after it on the same event loop). */
    public static final AtomicInteger COUNTED = new AtomicInteger();

    public static final class Count implements FilterFactory<Object> {
        @Override
        public String type() {
            return "test_count";
        }

        @Override
        public List<String> keys() {
            return List.of();
        }

        @Override
        public Object configure(FilterSettings s) {
            return Boolean.TRUE;
        }

        @Override
        public Filter create(Object settings, FilterSetup setup) {
            return new Filter() {
                @Override
                public Verdict onRequest(FilterContext c) {
                    c.executor().execute(COUNTED::incrementAndGet);
                    return Verdict.next();
                }
            };
        }
    }

    public static final class Noop implements FilterFactory<Object> {
        @Override
        public String type() {
            return "test_noop";
        }

        @Override
        public List<String> keys() {
            return List.of();
        }

        @Override
        public Object configure(FilterSettings s) {
            return Boolean.TRUE;
        }

        @Override
        public Filter create(Object settings, FilterSetup setup) {
            return new Filter() {
            };
        }
    }

    public static final class BodyCount implements FilterFactory<Object> {
        private static final FilterContext.Key<long[]> SEEN = FilterContext.Key.of("test_body.seen");

        @Override
        public String type() {
            return "test_body";
        }

        @Override
        public List<String> keys() {
            return List.of();
        }

        @Override
        public Object configure(FilterSettings s) {
            return Boolean.TRUE;
        }

        @Override
        public Filter create(Object settings, FilterSetup setup) {
            return new Filter() {
                @Override
                public Verdict onRequest(FilterContext c) {
                    c.set(SEEN, new long[1]);
                    return Verdict.next();
                }

                @Override
                public Verdict onRequestBody(FilterContext c, BodyPart part) {
                    c.get(SEEN)[0] += part.length();
                    return Verdict.next();
                }

                @Override
                public void onResponse(FilterContext c) {
                    long[] seen = c.get(SEEN);
                    c.response().headers().set("X-Body-Seen", Long.toString(seen == null ? -1 : seen[0]));
                }

                @Override
                public boolean wantsRequestBody() {
                    return true;
                }
            };
        }
    }
}
