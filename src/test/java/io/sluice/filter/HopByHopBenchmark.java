package io.sluice.filter;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ns to strip the hop-by-hop fields of the heads the reference harness sends through the proxy, at the point
 * where the proxy strips them: an HTTP/1.1 GET from wrk (Host, then the fields the proxy adds), the same from an h2
 * client (with Netty's x-http2-* conversion fields and h2load's own), and the harness's nginx response. Each
 * invocation builds the head and strips it; {@code build} alone is the baseline to subtract.
 * Run with {@code bench/jmh HopByHopBenchmark}. It showed that twelve lookups of absent names in Netty's header map
 * (an empty bucket each) cost less than one pass over the names comparing them (docs/benchmarks.md, "Evening of
 * 2026-12-06").
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HopByHopBenchmark {

    @Param({"h1_request", "h2_request", "nginx_response"})
    public String head;

    private HttpHeaders build() {
        HttpHeaders h = new DefaultHttpHeaders();
        switch (head) {
            case "h1_request" -> h.add("Host", "127.0.0.1:8080");
            case "h2_request" -> h.add("host", "127.0.0.1:8080").add("x-http2-scheme", "http")
                    .add("x-http2-stream-id", "3").add("user-agent", "h2load nghttp2/1.52.0")
                    .add("accept", "*/*");
            case "nginx_response" -> {
                return h.add("Server", "nginx/1.22.1").add("Date", "Sun, 06 Dec 2026 14:24:21 GMT")
                        .add("Content-Type", "application/octet-stream").add("Content-Length", "13")
                        .add("Connection", "keep-alive");
            }
            default -> throw new IllegalArgumentException(head);
        }
        return h.add("X-Forwarded-For", "127.0.0.1").add("X-Forwarded-Proto", "http")
                .add("X-Request-ID", "a9d016611b9dabae72ec20275fe05868")
                .add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    }

    @Benchmark
    public HttpHeaders build_only() {
        return build();
    }

    @Benchmark
    public HttpHeaders build_and_strip() {
        HttpHeaders h = build();
        if (head.equals("nginx_response")) {
            HopByHopHeaders.stripResponse(h, false, true);
        } else {
            HopByHopHeaders.stripRequest(h, false);
        }
        return h;
    }
}
