package io.sluice.filter;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
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
 * ns to decide whether an upstream connection may be reused after a response and to strip the response's
 * hop-by-hop fields, as the proxy does with every upstream response head: Netty's {@code HttpUtil.isKeepAlive}
 * and then the strip (as it was done), against the strip reporting it from its one read of {@code Connection}.
 * Heads: the harness's nginx backend ({@code Connection: keep-alive}), one without {@code Connection} (a Go
 * backend's), one that closes. Each invocation builds the head; {@code build_only} is the baseline.
 * Run with {@code bench/jmh ResponseKeepAliveBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ResponseKeepAliveBenchmark {

    @Param({"nginx", "no_connection", "close"})
    public String head;

    private HttpResponse build() {
        HttpHeaders h = new DefaultHttpHeaders().add("Server", "nginx/1.22.1")
                .add("Date", "Sun, 06 Dec 2026 14:24:21 GMT").add("Content-Type", "application/octet-stream")
                .add("Content-Length", "13");
        switch (head) {
            case "nginx" -> h.add("Connection", "keep-alive");
            case "close" -> h.add("Connection", "close");
            case "no_connection" -> { }
            default -> throw new IllegalArgumentException(head);
        }
        return new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, h);
    }

    @Benchmark
    public HttpResponse build_only() {
        return build();
    }

    @Benchmark
    public boolean isKeepAlive_then_strip() {
        HttpResponse response = build();
        boolean keepAlive = HttpUtil.isKeepAlive(response);
        HopByHopHeaders.stripResponse(response.headers(), false, true);
        return keepAlive;
    }

    @Benchmark
    public boolean strip_tells_keepAlive() {
        HttpResponse response = build();
        return HopByHopHeaders.stripResponse(response.headers(), false, response.protocolVersion().isKeepAliveDefault());
    }
}
