package io.sluice.accept;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.CharSequenceMap;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Netty's h2-stream-to-HTTP/1.1 codec (server side), with two paths of its own, both taken by every plain
 * request and response (measured with {@code bench/alloc 100000 none h2c}, docs/benchmarks.md):
 * <ul>
 *   <li>A request that ends with its HEADERS frame (a GET, say) becomes a head and the shared empty last
 *       part, as an HTTP/1.1 GET does. Netty makes a FullHttpRequest with a body buffer and a trailer map
 *       of its own, which the proxy would only split again; and it allocates that buffer before converting
 *       the headers, so a conversion that refuses them (a {@code :method} that is not a token, a
 *       {@code :path} with a space) lost it, a leak CI's timed fuzzing found.</li>
 *   <li>A response head without {@code Connection}, {@code TE} or {@code Cookie} (the proxy has removed the
 *       hop-by-hop fields by now) is converted without Netty's per-response map of the names
 *       {@code Connection} lists, and the usual field names are lower-cased from a table instead of copied.
 *       Any other head takes Netty's conversion.</li>
 * </ul>
 * One instance for every stream (the codec keeps no state of its own).
 */
@ChannelHandler.Sharable
final class Http2ToHttp1Codec extends Http2StreamFrameToHttpObjectCodec {
    static final Http2ToHttp1Codec INSTANCE = new Http2ToHttp1Codec();

    /** Fields that are never sent on HTTP/2 (RFC 9113 §8.2.2), and Netty's own conversion markers. */
    private static final Set<AsciiString> NOT_FORWARDED = Set.of(
            HttpHeaderNames.CONNECTION, AsciiString.cached("keep-alive"), AsciiString.cached("proxy-connection"),
            HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.HOST, HttpHeaderNames.UPGRADE,
            HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text(), HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(),
            HttpConversionUtil.ExtensionHeaderNames.PATH.text(), HttpConversionUtil.ExtensionHeaderNames.PROTOCOL.text(),
            HttpConversionUtil.ExtensionHeaderNames.STREAM_PROMISE_ID.text(),
            HttpConversionUtil.ExtensionHeaderNames.STREAM_DEPENDENCY_ID.text(),
            HttpConversionUtil.ExtensionHeaderNames.STREAM_WEIGHT.text());

    /** Netty's lower-case constant for each field name it knows, found whatever the case it arrived in. */
    private static final CharSequenceMap<AsciiString> LOWER_CASE = lowerCaseNames();

    private Http2ToHttp1Codec() {
        super(true);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, Http2StreamFrame frame, List<Object> out) throws Exception {
        if (frame instanceof Http2HeadersFrame headersFrame && headersFrame.isEndStream()) {
            Http2Headers headers = headersFrame.headers();
            if (headers.method() != null && headers.status() == null) {
                int id = headersFrame.stream() == null ? 0 : headersFrame.stream().id();
                out.add(HttpConversionUtil.toHttpRequest(id, headers, true));
                out.add(LastHttpContent.EMPTY_LAST_CONTENT);
                return;
            }
        }
        super.decode(ctx, frame, out);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, HttpObject obj, List<Object> out) throws Exception {
        if (obj instanceof HttpResponse response && !(obj instanceof HttpContent)
                && response.status().codeClass() != HttpStatusClass.INFORMATIONAL && plain(response.headers())) {
            out.add(new DefaultHttp2HeadersFrame(toHttp2Headers(response), false));
            return;
        }
        super.encode(ctx, obj, out);
    }

    /** Whether Netty's conversion would do nothing beyond dropping {@link #NOT_FORWARDED} and lower-casing. */
    private static boolean plain(HttpHeaders headers) {
        return !headers.contains(HttpHeaderNames.CONNECTION) && !headers.contains(HttpHeaderNames.TE)
                && !headers.contains(HttpHeaderNames.COOKIE);
    }

    private static Http2Headers toHttp2Headers(HttpResponse response) {
        HttpHeaders in = response.headers();
        Http2Headers out = new DefaultHttp2Headers(true, in.size() + 1);
        out.status(response.status().codeAsText());
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = in.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> field = it.next();
            AsciiString name = lowerCase(field.getKey());
            if (!NOT_FORWARDED.contains(name)) {
                out.add(name, field.getValue());
            }
        }
        return out;
    }

    private static AsciiString lowerCase(CharSequence name) {
        AsciiString known = LOWER_CASE.get(name);
        return known != null ? known : AsciiString.of(name).toLowerCase();
    }

    private static CharSequenceMap<AsciiString> lowerCaseNames() {
        CharSequenceMap<AsciiString> names = new CharSequenceMap<>(false); // case-insensitive lookups
        for (Field f : HttpHeaderNames.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == AsciiString.class) {
                try {
                    AsciiString name = (AsciiString) f.get(null);
                    names.set(name, name);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return names;
    }
}
