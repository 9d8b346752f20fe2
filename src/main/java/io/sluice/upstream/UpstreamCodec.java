package io.sluice.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.CharsetUtil;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The HTTP/1.1 codec of an upstream connection: Netty's response decoder and request encoder, each response
 * paired with its request's method as {@code HttpClientCodec} pairs them (a HEAD answer has no body), with
 * two things a proxy needs besides:
 * <ul>
 *   <li>Bytes that no request asked for close the connection: a body after a 204, a 304 or a HEAD answer,
 *       a second response, anything on an idle pooled connection. Their framing cannot be trusted, and left
 *       in the decoder they would be read as the next request's response (the next client would get a
 *       502, or another client's answer).</li>
 *   <li>The request target is written byte for byte as it arrived: Netty's decoders give each received
 *       byte one char (ISO-8859-1), and the stock encoder would write chars 0x80-0xFF back as two bytes of
 *       UTF-8.</li>
 * </ul>
 */
final class UpstreamCodec extends CombinedChannelDuplexHandler<UpstreamCodec.Decoder, UpstreamCodec.Encoder> {
    /** Methods of the requests written whose final response head has not come yet (one: no pipelining). */
    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);
    /** A final response's head came and its end not yet. */
    private boolean inResponse;
    /** After a 101: the bytes are no longer HTTP, and belong to the tunnel. */
    private boolean upgraded;

    UpstreamCodec(HttpDecoderConfig config) {
        init(new Decoder(config), new Encoder());
    }

    final class Decoder extends HttpResponseDecoder {
        /** The status code of the status line being split (its reason phrase comes next), or -1. */
        private int statusCode = -1;

        Decoder(HttpDecoderConfig config) {
            super(config);
        }

        // The four hooks below share the words most responses repeat instead of copying them (KnownResponseWords).

        @Override
        protected String splitFirstWordInitialLine(byte[] line, int start, int length) {
            String version = KnownResponseWords.version(line, start, length);
            return version != null ? version : super.splitFirstWordInitialLine(line, start, length);
        }

        @Override
        protected String splitSecondWordInitialLine(byte[] line, int start, int length) {
            statusCode = KnownResponseWords.statusCode(line, start, length);
            return statusCode >= 0 ? KnownResponseWords.codeText(statusCode)
                    : super.splitSecondWordInitialLine(line, start, length);
        }

        @Override
        protected String splitThirdWordInitialLine(byte[] line, int start, int length) {
            String reason = KnownResponseWords.reasonPhrase(statusCode, line, start, length);
            return reason != null ? reason : super.splitThirdWordInitialLine(line, start, length);
        }

        @Override
        protected AsciiString splitHeaderName(byte[] line, int start, int length) {
            AsciiString name = KnownResponseWords.fieldName(line, start, length);
            return name != null ? name : super.splitHeaderName(line, start, length);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            if (!inResponse && !upgraded && methods.isEmpty() && in.isReadable()) {
                in.skipBytes(in.readableBytes());
                ctx.close(); // bytes no request asked for (see the class comment)
                return;
            }
            int before = out.size();
            super.decode(ctx, in, out);
            for (int i = before; i < out.size(); i++) {
                Object msg = out.get(i);
                if (msg instanceof HttpResponse response) {
                    int code = response.status().code();
                    if (code >= 200 || code == 101) {
                        inResponse = true;
                        upgraded = code == 101;
                    }
                }
                if (msg instanceof LastHttpContent) {
                    inResponse = false;
                }
            }
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage msg) {
            int code = ((HttpResponse) msg).status().code();
            if (code >= 100 && code < 200 && code != 101) {
                return super.isContentAlwaysEmpty(msg); // interim: its request is still waiting
            }
            HttpMethod method = methods.poll();
            return method == HttpMethod.HEAD || super.isContentAlwaysEmpty(msg);
        }
    }

    final class Encoder extends HttpRequestEncoder {
        @Override
        protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
            if (msg instanceof HttpRequest request) {
                methods.add(request.method());
            }
            super.encode(ctx, msg, out);
        }

        @Override
        protected void encodeInitialLine(ByteBuf buf, HttpRequest request) {
            ByteBufUtil.copy(request.method().asciiName(), buf);
            buf.writeByte(' ');
            String uri = request.uri();
            buf.writeCharSequence(uri.isEmpty() ? "/" : uri, CharsetUtil.ISO_8859_1);
            buf.writeByte(' ');
            ByteBufUtil.writeAscii(buf, request.protocolVersion().text());
            buf.writeByte('\r').writeByte('\n');
        }
    }
}
