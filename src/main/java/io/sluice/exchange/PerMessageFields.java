package io.sluice.exchange;

import io.netty.handler.codec.http2.Http2HeadersEncoder;
import io.netty.util.AsciiString;

/**
 * The fields whose value is new in nearly every message, kept out of HPACK's dynamic table (RFC 7541 §2.3.2) on the
 * proxy's own h2 connections: {@code x-request-id} (a random id unless the client sent one) and {@code traceparent}
 * (a new span id per request). Indexed, each message would insert an entry nobody refers to again and evict one that
 * could be (server, content-type, ...): on a busy connection the encoder searched, inserted and evicted on every
 * response. Encoding the harness backend's response head: 400 → 327 ns ({@code PerMessageFieldsBenchmark}); the
 * encoder's share of an h2 request on the rig 1.4 → 0.8 µs (docs/benchmarks.md, "Evening of 2026-12-06").
 * Netty's encoder knows one alternative to indexing a field, "never indexed" (§6.2.3), so that is how these go.
 */
public final class PerMessageFields implements Http2HeadersEncoder.SensitivityDetector {
    public static final PerMessageFields INSTANCE = new PerMessageFields();
    /** TraceContext.TRACEPARENT, named here too: observe builds on exchange, not the other way. */
    private static final AsciiString TRACEPARENT = AsciiString.cached("traceparent");

    private PerMessageFields() {
    }

    @Override
    public boolean isSensitive(CharSequence name, CharSequence value) {
        // called for every field of every head the proxy encodes: the length rules out nearly all of them at once
        int length = name.length();
        return length == RequestId.HEADER.length() && AsciiString.contentEqualsIgnoreCase(name, RequestId.HEADER)
                || length == TRACEPARENT.length() && AsciiString.contentEqualsIgnoreCase(name, TRACEPARENT);
    }
}
