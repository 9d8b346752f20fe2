package io.sluice.filter.testkit;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.config.ConfigException;
import io.sluice.config.ConfigLoader;
import io.sluice.filter.FilterChain;
import io.sluice.filter.FilterRun;
import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSetup;
import io.sluice.filter.api.Reply;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Tests a filter without sockets: reads its settings as the configuration loader does (errors with line and
 * column), builds it, and runs requests through Sluice's own chain runner on a single thread that stands for
 * the event loop. For plugin authors as much as for Sluice's own tests:
 *
 * <pre>{@code
 * try (FilterTester tester = FilterTester.of(new MyFilterFactory(), "{ greeting: hi }")) {
 *     FilterTester.Outcome out = tester.request("GET", "/x").header("X-Key", "a").send();
 *     assertTrue(out.passed());
 *     Map<String, List<String>> response = out.respond(200);
 * }
 * }</pre>
 */
public final class FilterTester implements AutoCloseable {
    private final List<Filter> filters;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "filter-tester-loop");
        t.setDaemon(true);
        return t;
    });

    private FilterTester(List<Filter> filters) {
        this.filters = filters;
    }

    /** One filter of {@code factory}'s type with the settings in {@code yaml} (a mapping, e.g. "{ max: 2 }"). */
    public static <C> FilterTester of(FilterFactory<C> factory, String yaml) throws ConfigException {
        return new FilterTester(List.of(factory.create(settings(factory, yaml), new Setup())));
    }

    /** A chain of filters built elsewhere (in order). */
    public static FilterTester of(Filter... filters) {
        return new FilterTester(List.of(filters));
    }

    /** The settings {@code factory} reads from {@code yaml}; a {@link ConfigException} lists the errors. */
    public static <C> C settings(FilterFactory<C> factory, String yaml) throws ConfigException {
        return ConfigLoader.parseFilterSettings(factory, yaml);
    }

    /** The errors {@code factory} reports for {@code yaml}, as {@code LINE:COL: message}; empty when none. */
    public static List<String> errors(FilterFactory<?> factory, String yaml) {
        try {
            settings(factory, yaml);
            return List.of();
        } catch (ConfigException e) {
            return e.errors().stream().map(err -> err.line() + ":" + err.column() + ": " + err.message()).toList();
        }
    }

    public RequestBuilder request(String method, String uri) {
        return new RequestBuilder(method, uri);
    }

    /** The thread that stands for the event loop (filters schedule on it). */
    public ScheduledExecutorService loop() {
        return loop;
    }

    @Override
    public void close() {
        loop.shutdownNow();
    }

    /** A request to send through the filters. */
    public final class RequestBuilder {
        private final HttpRequest request;
        private String clientIp = "192.0.2.1";
        private String route = "test";

        RequestBuilder(String method, String uri) {
            request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), uri,
                    new DefaultHttpHeaders());
            request.headers().set("Host", "test.local");
        }

        public RequestBuilder header(String name, String value) {
            request.headers().add(name, value);
            return this;
        }

        public RequestBuilder clientIp(String ip) {
            this.clientIp = ip;
            return this;
        }

        public RequestBuilder route(String name) {
            this.route = name;
            return this;
        }

        /** Runs the request through the filters and waits (up to 10 s) for their decision. */
        public Outcome send() throws Exception {
            Outcome outcome = start();
            outcome.decided.get(10, TimeUnit.SECONDS);
            return outcome;
        }

        /** Runs the request through the filters without waiting: see {@link Outcome#decided()}. */
        public Outcome start() throws Exception {
            List<String> types = new ArrayList<>();
            for (int i = 0; i < filters.size(); i++) {
                types.add("filter-" + i);
            }
            Outcome outcome = new Outcome(request);
            FilterRun run = new FilterRun(FilterChain.of(filters, types), outcome, request, loop, clientIp,
                    "test-" + System.nanoTime(), "test", route);
            outcome.run = run;
            loop.submit(run::start).get(10, TimeUnit.SECONDS);
            return outcome;
        }
    }

    /** What the filters decided about one request. */
    public final class Outcome implements FilterRun.Gate {
        private final HttpRequest request;
        private final CompletableFuture<Boolean> decided = new CompletableFuture<>();
        private FilterRun run;
        private volatile Reply reply;

        Outcome(HttpRequest request) {
            this.request = request;
        }

        @Override
        public void proceed() {
            decided.complete(true);
        }

        @Override
        public void answer(Reply r) {
            reply = r;
            decided.complete(false);
        }

        /** Completes with true when the request passed, false when a filter answered. */
        public CompletableFuture<Boolean> decided() {
            return decided;
        }

        public boolean passed() {
            return decided.isDone() && decided.join();
        }

        /** The answer a filter made; null when the request passed (or is still waiting). */
        public Reply reply() {
            return reply;
        }

        /** The request's headers as the filters left them (what the upstream would get). */
        public Map<String, List<String>> requestHeaders() {
            return copy(request.headers());
        }

        /** The request target as the filters left it. */
        public String uri() {
            return request.uri();
        }

        /** Runs the response filters over a response with {@code status}; returns its headers after them. */
        public Map<String, List<String>> respond(int status) throws Exception {
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
            loop.submit(() -> run.onResponse(response)).get(10, TimeUnit.SECONDS);
            return copy(response.headers());
        }

        /** Ends the request (its response complete, or its client gone): the filters' end callbacks run. */
        public void end() throws Exception {
            loop.submit(run::end).get(10, TimeUnit.SECONDS);
        }

        private Map<String, List<String>> copy(io.netty.handler.codec.http.HttpHeaders headers) {
            Map<String, List<String>> out = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : headers) {
                out.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
            }
            return out;
        }
    }

    /** State is kept per tester (one place). */
    private static final class Setup implements FilterSetup {
        private final Map<String, Object> kept = new HashMap<>();

        @Override
        public String listener() {
            return "test";
        }

        @Override
        public String route() {
            return "test";
        }

        @Override
        public <T> T keep(String name, Class<T> type, Supplier<T> make) {
            Object existing = kept.get(name);
            if (type.isInstance(existing)) {
                return type.cast(existing);
            }
            T made = make.get();
            kept.put(name, made);
            return made;
        }
    }
}
