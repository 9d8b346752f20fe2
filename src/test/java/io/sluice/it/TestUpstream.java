package io.sluice.it;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP server on 127.0.0.1 port 0 (the JDK's), standing in for a backend. By default it answers
 * 200 with its name as the body and records every request it received; give it a handler for more.
 */
public final class TestUpstream implements AutoCloseable {
    /** What the upstream received. Header names are as the JDK normalises them (first letter upper). */
    public record Received(String method, String uri, Headers headers, byte[] body) {
        public String header(String name) {
            return headers.getFirst(name);
        }

        public List<String> headerValues(String name) {
            List<String> values = headers.get(name);
            return values == null ? List.of() : values;
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final String name;
    private final HttpServer server;
    private final LinkedBlockingQueue<Received> received = new LinkedBlockingQueue<>();

    private TestUpstream(String name, HttpHandler handler, InetSocketAddress bind) throws IOException {
        this.name = name;
        this.server = HttpServer.create(bind, 64);
        server.createContext("/", exchange -> {
            byte[] body = new byte[0];
            if (handler == null) {
                try (InputStream in = exchange.getRequestBody()) {
                    body = in.readAllBytes();
                }
            } // else the handler reads it: closing the stream here would drain it (or drop the connection)
            received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                    exchange.getRequestHeaders(), body));
            if (handler != null) {
                handler.handle(exchange);
                return;
            }
            byte[] answer = (name + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.getResponseHeaders().set("X-Upstream", name);
            exchange.sendResponseHeaders(200, "HEAD".equals(exchange.getRequestMethod()) ? -1 : answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        });
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
    }

    /** Answers 200 with {@code name} and a newline, header X-Upstream: name. */
    public static TestUpstream start(String name) throws IOException {
        return new TestUpstream(name, null, new InetSocketAddress("127.0.0.1", 0));
    }

    /** As {@link #start(String)}, listening on {@code bind} (e.g. another loopback address, a given port). */
    public static TestUpstream start(String name, InetSocketAddress bind) throws IOException {
        return new TestUpstream(name, null, bind);
    }

    /** Answers with {@code handler} (the request body is left for the handler to read). */
    public static TestUpstream start(String name, HttpHandler handler) throws IOException {
        return new TestUpstream(name, handler, new InetSocketAddress("127.0.0.1", 0));
    }

    public String name() {
        return name;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String address() {
        return server.getAddress().getAddress().getHostAddress() + ":" + port();
    }

    /** Waits (up to 10 s) for the next request this upstream received. */
    public Received next() throws InterruptedException {
        Received r = received.poll(10, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError(name + " received no request");
        }
        return r;
    }

    public int receivedCount() {
        return received.size();
    }

    public static Map<String, String> env(TestUpstream... upstreams) {
        java.util.HashMap<String, String> env = new java.util.HashMap<>();
        for (int i = 0; i < upstreams.length; i++) {
            env.put("UP" + (i + 1), upstreams[i].address());
        }
        return env;
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
