package io.sluice.filter.builtin;

import io.sluice.filter.api.Filter;
import io.sluice.filter.api.FilterContext;
import io.sluice.filter.api.FilterFactory;
import io.sluice.filter.api.FilterSettings;
import io.sluice.filter.api.FilterSetup;
import io.sluice.filter.api.Headers;
import io.sluice.filter.api.Reply;
import io.sluice.filter.api.Verdict;
import io.sluice.filter.auth.HttpCalls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;

/**
 * {@code forward_auth}: before a request goes on, the proxy asks an auth service ({@code GET url}, with the
 * request's {@code request_headers} and {@code X-Forwarded-Method}, {@code -Uri}, {@code -Host}, {@code -Proto},
 * {@code -For}), as Traefik's ForwardAuth and nginx's {@code auth_request} do. A 2xx answer lets the request
 * through, with the answer's {@code response_headers} set on it; any other answer goes to the client as it is
 * (status, headers, body up to 64 KiB); no complete answer (head and body) within {@code timeout}, or none at
 * all: 503.
 *
 * <p>The call is made with the JDK's HTTP client, whose own threads wait for it; the request waits as a
 * {@link Verdict#later}, never holding an event loop, and resumes on its own loop.
 */
public final class ForwardAuth implements FilterFactory<ForwardAuth.Settings> {
    static final List<String> DEFAULT_REQUEST_HEADERS = List.of("Authorization", "Cookie");
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    /** The largest answer body passed on to the client; an auth service's answers are small. */
    static final int MAX_BODY = 64 * 1024;
    /** Fields the JDK client sets itself (and refuses), and hop-by-hop ones: never copied either way. */
    private static final Set<String> NOT_COPIED = Set.of("connection", "content-length", "expect", "host", "upgrade",
            "keep-alive", "transfer-encoding", "te", "trailer", "proxy-connection");

    public record Settings(URI url, List<String> requestHeaders, List<String> responseHeaders, Duration timeout) {
    }

    @Override
    public String type() {
        return "forward_auth";
    }

    @Override
    public List<String> keys() {
        return List.of("url", "request_headers", "response_headers", "timeout");
    }

    @Override
    public Settings configure(FilterSettings s) {
        if (!s.require("url")) {
            return null;
        }
        URI url = s.value("url", null, ForwardAuth::url);
        List<String> requestHeaders = s.has("request_headers") ? s.strings("request_headers") : DEFAULT_REQUEST_HEADERS;
        List<String> responseHeaders = s.strings("response_headers");
        boolean ok = url != null;
        for (String key : List.of("request_headers", "response_headers")) {
            for (String name : key.equals("request_headers") ? requestHeaders : responseHeaders) {
                if (NOT_COPIED.contains(name.toLowerCase(Locale.ROOT)) || !name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")) {
                    s.error(key, "'" + name + "' cannot be passed on (a bad name, or a field of the connection itself)");
                    ok = false;
                }
            }
        }
        Duration timeout = s.duration("timeout", DEFAULT_TIMEOUT);
        if (timeout.isZero() || timeout.isNegative()) {
            s.error("timeout", "must be more than 0");
            ok = false;
        }
        return ok ? new Settings(url, List.copyOf(requestHeaders), List.copyOf(responseHeaders), timeout) : null;
    }

    static URI url(String text) {
        URI u;
        try {
            u = new URI(text);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException("bad url '" + text + "': " + e.getReason());
        }
        if (!"http".equalsIgnoreCase(u.getScheme()) && !"https".equalsIgnoreCase(u.getScheme()) || u.getHost() == null) {
            throw new IllegalArgumentException("bad url '" + text + "' (expected http://host[:port]/path or https://...)");
        }
        return u;
    }

    @Override
    public Filter create(Settings settings, FilterSetup setup) {
        // one client (its connection pool and selector thread) per place in the configuration, kept across reloads;
        // no connect timeout of its own, which would stay the first configuration's: each call's deadline
        // (the timeout of the configuration it was made under) covers connecting too
        HttpClient client = setup.keep("client", HttpClient.class, () -> HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER).build());
        return new Filter() {
            @Override
            public Verdict onRequest(FilterContext context) {
                HttpRequest.Builder ask = HttpRequest.newBuilder(settings.url()).GET();
                Headers in = context.request().headers();
                for (String name : settings.requestHeaders()) {
                    for (String value : in.getAll(name)) {
                        ask.header(name, value);
                    }
                }
                String host = in.get("Host");
                List<String> forwardedFor = new java.util.ArrayList<>(in.getAll("X-Forwarded-For"));
                forwardedFor.add(context.clientIp()); // as the upstream will get it (ForwardedHeaders)
                ask.header("X-Forwarded-Method", context.request().method())
                        .header("X-Forwarded-Uri", context.clientUri()) // not strip_prefix's: what the client asked for
                        .header("X-Forwarded-Proto", context.scheme())
                        .header("X-Forwarded-For", String.join(", ", forwardedFor));
                if (host != null) {
                    ask.header("X-Forwarded-Host", host);
                }
                // one deadline for head and body: the request's own timeout would end when the head arrives
                CompletionStage<Verdict> decided = HttpCalls.within(
                                client.sendAsync(ask.build(), HttpCalls.upTo(MAX_BODY)), settings.timeout())
                        .handleAsync((answer, failure) -> decide(context, settings, answer, failure), context.executor());
                return Verdict.later(decided);
            }
        };
    }

    /** On the request's event loop: let it through (with the answer's fields), or answer it. */
    private static Verdict decide(FilterContext context, Settings settings, HttpResponse<byte[]> answer,
                                  Throwable failure) {
        if (failure != null) {
            Throwable cause = HttpCalls.cause(failure);
            return Verdict.answer(503, cause instanceof TimeoutException || cause instanceof HttpTimeoutException
                    ? "the auth service did not answer in time" : "the auth service cannot be reached");
        }
        if (answer.statusCode() / 100 == 2) {
            Headers out = context.request().headers();
            for (String name : settings.responseHeaders()) {
                List<String> values = answer.headers().allValues(name);
                out.remove(name); // a client's own copy never goes on beside the auth service's
                for (String v : values) {
                    out.add(name, v);
                }
            }
            return Verdict.next();
        }
        int status = answer.statusCode() >= 200 && answer.statusCode() <= 599 ? answer.statusCode() : 502;
        Reply reply = Reply.of(status).body(answer.body());
        for (Map.Entry<String, List<String>> field : answer.headers().map().entrySet()) {
            String name = field.getKey();
            if (!name.startsWith(":") && !NOT_COPIED.contains(name.toLowerCase(Locale.ROOT))) {
                for (String v : field.getValue()) {
                    reply.header(name, v);
                }
            }
        }
        return Verdict.answer(reply);
    }
}
