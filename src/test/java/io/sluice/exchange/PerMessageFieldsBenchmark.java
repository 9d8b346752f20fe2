package io.sluice.exchange;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersEncoder;
import io.netty.util.AsciiString;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ns to HPACK-encode one response head of the harness's backend on a connection that has carried many, each with its
 * own x-request-id: with Netty's default (every field indexed) and with {@link PerMessageFields}. Run with
 * {@code bench/jmh PerMessageFieldsBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(2)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 6, time = 1)
public class PerMessageFieldsBenchmark {

    @Param({"indexed", "per_message_fields"})
    public String detector;

    private final Http2Headers[] heads = new Http2Headers[1024];
    private final ByteBuf out = Unpooled.directBuffer(1024);
    private Http2HeadersEncoder encoder;
    private int next;

    @Setup
    public void setUp() {
        encoder = new DefaultHttp2HeadersEncoder(
                detector.equals("indexed") ? Http2HeadersEncoder.NEVER_SENSITIVE : PerMessageFields.INSTANCE);
        for (int i = 0; i < heads.length; i++) {
            heads[i] = new DefaultHttp2Headers().status(AsciiString.of("200"))
                    .add(AsciiString.of("server"), "nginx/1.22.1")
                    .add(AsciiString.of("date"), "Sun, 06 Dec 2026 14:24:21 GMT")
                    .add(AsciiString.of("content-type"), "application/octet-stream")
                    .add(AsciiString.of("content-length"), "13")
                    .add(AsciiString.of("x-request-id"), RequestId.generate());
        }
    }

    @Benchmark
    public int encode() throws Exception {
        out.clear();
        encoder.encodeHeaders(1, heads[next++ & (heads.length - 1)], out);
        return out.writerIndex();
    }
}
