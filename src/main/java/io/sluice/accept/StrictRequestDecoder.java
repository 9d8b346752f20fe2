package io.sluice.accept;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.util.AsciiString;
import io.netty.util.ByteProcessor;
import io.sluice.exchange.FieldNameTable;
import java.util.ArrayDeque;
import java.util.List;

/**
 * Netty's request decoder, stricter where a proxy must be (RFC 9112): the whole head (request line plus
 * fields) is held to {@code server.max_request_head}; obsolete line folding (in the head and in a chunked
 * body's trailers) and a Content-Length beside Transfer-Encoding are errors rather than repaired, because a
 * repaired request may be read differently by the upstream (request smuggling). After the first bad message
 * it decodes nothing more: the connection is answered and closed.
 *
 * <p>It also tells {@link ServerResponseEncoder} each request's method, so HEAD responses get no body,
 * and, on an http listener, shows each request head to {@link H2cUpgrade}.
 */
final class StrictRequestDecoder extends HttpRequestDecoder {
    /**
     * Field names browsers and API clients send, handed out as shared constants instead of a copy per request
     * (Netty's decoder knows Host, Accept, Connection, Content-Type and Content-Length itself).
     */
    private static final FieldNameTable FIELD_NAMES = new FieldNameTable(
            "User-Agent", "Accept-Encoding", "Accept-Language", "Cookie", "Referer", "Origin", "Authorization",
            "Cache-Control", "Pragma", "If-None-Match", "If-Modified-Since", "Range", "Upgrade-Insecure-Requests",
            "Sec-Fetch-Site", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Sec-Fetch-User", "Sec-Ch-Ua", "Sec-Ch-Ua-Mobile",
            "Sec-Ch-Ua-Platform", "Priority", "DNT", "TE", "Upgrade", "Expect", "Transfer-Encoding", "Keep-Alive",
            "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-IP", "X-Request-ID", "Traceparent",
            "Tracestate", "X-Requested-With");
    private final int maxHead;
    private final ArrayDeque<HttpMethod> methods;
    private final H2cUpgrade h2c;
    private final HeadScanner scanner = new HeadScanner();
    /** The framing of the chunked body being read, followed to see its trailers; null outside one. */
    private ChunkFraming chunks;
    private boolean atMessageStart = true;
    private boolean failed;
    private long headStartNanos;

    /** {@code h2c} null where h2c by Upgrade is not offered (https). */
    StrictRequestDecoder(int maxHead, ArrayDeque<HttpMethod> methods, H2cUpgrade h2c) {
        super(new HttpDecoderConfig()
                .setMaxInitialLineLength(maxHead)
                .setMaxHeaderSize(maxHead)
                .setMaxChunkSize(64 * 1024)
                .setValidateHeaders(true)
                .setAllowDuplicateContentLengths(false));
        this.maxHead = maxHead;
        this.methods = methods;
        this.h2c = h2c;
    }

    @Override
    protected AsciiString splitHeaderName(byte[] line, int start, int length) {
        AsciiString name = FIELD_NAMES.find(line, start, length);
        return name != null ? name : super.splitHeaderName(line, start, length);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        if (failed) {
            buffer.skipBytes(buffer.readableBytes());
            return;
        }
        if (atMessageStart) {
            scanner.reset();
            int end = buffer.forEachByte(buffer.readerIndex(), Math.min(buffer.readableBytes(), maxHead + 4), scanner);
            if (scanner.obsFold) {
                reject(buffer, out, new IllegalArgumentException("obsolete line folding in a header field"));
                return;
            }
            if (scanner.controlInRequestLine) {
                // Netty splits the line at any whitespace (FF, VT, HTAB) and would forward a cleaned-up line;
                // RFC 9112 §3 allows only SP there, and a second parser may split it elsewhere (found by fuzzing)
                reject(buffer, out, new IllegalArgumentException("control byte in the request line"));
                return;
            }
            if (scanner.contentLengths > 1) {
                // Netty refuses this only in HTTP/1.1; in HTTP/1.0 it keeps the first value (found by fuzzing),
                // and RFC 9112 §6.3 makes differing values an unrecoverable error in every version
                reject(buffer, out, new IllegalArgumentException("more than one Content-Length header"));
                return;
            }
            if (end < 0) {
                if (buffer.readableBytes() - scanner.leading > maxHead) {
                    reject(buffer, out, new TooLongHttpHeaderException(
                            "request head is larger than " + maxHead + " bytes"));
                }
                if (headStartNanos == 0) {
                    headStartNanos = System.nanoTime(); // request_head is timed from here (a whole head costs no clock read)
                }
                return; // wait for the whole head
            }
            if (end + 1 - buffer.readerIndex() - scanner.leading > maxHead) {
                reject(buffer, out, new TooLongHttpHeaderException("request head is larger than " + maxHead + " bytes"));
                return;
            }
            atMessageStart = false;
            headStartNanos = 0;
        }
        if (chunks != null && chunks.foldedTrailer(buffer)) {
            // Netty joins a folded trailer line to the field before it and trims it, so a bare CR or control
            // byte at its end vanished and the rest went upstream repaired (found by CI's timed fuzzing); a fold
            // is an error here, as in the head
            failed = true;
            buffer.skipBytes(buffer.readableBytes());
            LastHttpContent invalid = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
            invalid.setDecoderResult(DecoderResult.failure(
                    new IllegalArgumentException("obsolete line folding in a trailer field")));
            out.add(invalid);
            return;
        }
        int before = out.size();
        int readerBefore = buffer.readerIndex();
        super.decode(ctx, buffer, out);
        if (chunks != null) {
            chunks.consumed(buffer.readerIndex() - readerBefore);
        }
        for (int i = before; i < out.size(); i++) {
            Object msg = out.get(i);
            if (msg instanceof HttpRequest request) {
                methods.add(request.method());
                if (request.decoderResult().isFailure()) {
                    failed = true;
                } else {
                    if (h2c != null) {
                        h2c.offer(ctx, request);
                    }
                    if (HttpUtil.isTransferEncodingChunked(request)) {
                        chunks = new ChunkFraming(); // its body starts after the bytes consumed so far
                    }
                }
            }
            if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
                failed = true;
            }
            if (msg instanceof LastHttpContent last) {
                atMessageStart = true;
                chunks = null;
                if (!last.trailingHeaders().isEmpty()) {
                    // Netty drops Content-Length, Transfer-Encoding and Trailer from trailers; a routing field may
                    // not be one either (RFC 9110 §6.5.1; found by fuzzing: a Host trailer reached the upstream)
                    last.trailingHeaders().remove(HttpHeaderNames.HOST);
                }
            }
        }
    }

    /** Between two requests with nothing of the next one read: the decoder can go (parking). */
    boolean idle() {
        return atMessageStart && !failed && headStartNanos == 0 && actualReadableBytes() == 0;
    }

    /** When the first bytes of a request head that is still incomplete arrived; 0 when none is waiting. */
    long headStartNanos() {
        return headStartNanos;
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        throw new IllegalArgumentException("Content-Length and Transfer-Encoding together");
    }

    private void reject(ByteBuf buffer, List<Object> out, Exception cause) {
        failed = true;
        buffer.skipBytes(buffer.readableBytes());
        HttpRequest invalid = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/bad-request",
                Unpooled.EMPTY_BUFFER);
        invalid.setDecoderResult(DecoderResult.failure(cause));
        methods.add(HttpMethod.GET);
        out.add(invalid);
    }

    /**
     * Follows a chunked body's framing (RFC 9112 §7.1) only as far as it must to find the trailer section,
     * and notices a trailer line that starts with a space or tab (obs-fold). Data is skipped by its count,
     * not scanned; only size lines and trailer lines are looked at. Netty validates the framing itself: this
     * has to agree with it only where Netty accepts (a size line's leading whitespace, hex digits, then
     * anything up to its LF; the line ending the data up to its LF).
     */
    private static final class ChunkFraming {
        private enum State { SIZE_START, SIZE, SIZE_REST, DATA, DATA_END, TRAILER_LINE_START, EMPTY_LINE_CR, TRAILER_LINE, DONE }

        private State state = State.SIZE_START;
        private long size;
        /** Bytes after the buffer's reader index already looked at. */
        private int ahead;

        /** Looks at the bytes not seen yet; true when a trailer line is folded. */
        boolean foldedTrailer(ByteBuf buffer) {
            int end = buffer.writerIndex();
            int i = buffer.readerIndex() + ahead;
            while (i < end && state != State.DONE) {
                if (state == State.DATA) {
                    int skip = (int) Math.min(size, end - i);
                    i += skip;
                    size -= skip;
                    if (size == 0) {
                        state = State.DATA_END;
                    }
                    continue;
                }
                byte b = buffer.getByte(i++);
                switch (state) {
                    case SIZE_START -> {
                        if (b != ' ' && b != '\t') {
                            state = State.SIZE;
                            i--; // this byte starts the digits
                        }
                    }
                    case SIZE -> {
                        int digit = Character.digit(b, 16);
                        if (digit >= 0) {
                            size = Math.min(size * 16 + digit, Integer.MAX_VALUE); // Netty refuses larger sizes
                        } else {
                            state = State.SIZE_REST;
                            i--;
                        }
                    }
                    case SIZE_REST -> {
                        if (b == '\n') {
                            state = size == 0 ? State.TRAILER_LINE_START : State.DATA;
                        }
                    }
                    case DATA_END -> {
                        if (b == '\n') {
                            state = State.SIZE_START;
                        }
                    }
                    case TRAILER_LINE_START -> {
                        if (b == ' ' || b == '\t') {
                            return true;
                        }
                        state = b == '\n' ? State.DONE : b == '\r' ? State.EMPTY_LINE_CR : State.TRAILER_LINE;
                    }
                    case EMPTY_LINE_CR -> state = b == '\n' ? State.DONE : State.TRAILER_LINE; // else a bare CR: Netty refuses it
                    case TRAILER_LINE -> {
                        if (b == '\n') {
                            state = State.TRAILER_LINE_START;
                        }
                    }
                    default -> {
                    }
                }
            }
            ahead = i - buffer.readerIndex();
            return false;
        }

        /** Netty consumed {@code n} bytes from the reader index. */
        void consumed(int n) {
            ahead = Math.max(0, ahead - n);
        }
    }

    /**
     * Finds the blank line that ends a head, skipping the empty lines allowed before a request line, notices a
     * field line that starts with a space or tab (obs-fold), and counts the Content-Length field lines.
     */
    private static final class HeadScanner implements ByteProcessor {
        private static final byte[] CONTENT_LENGTH = "content-length:".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

        int leading;
        boolean obsFold;
        int contentLengths;
        /** A control byte (HTAB, FF, VT, NUL, DEL...) in the request line: only SP separates its three parts. */
        boolean controlInRequestLine;
        private boolean inHead;
        private boolean inRequestLine;
        private boolean afterLf;
        private boolean afterLfCr;
        /** How much of "content-length:" the current field line has matched so far; -1 when it is another field. */
        private int nameMatched = -1;

        void reset() {
            leading = 0;
            obsFold = false;
            contentLengths = 0;
            controlInRequestLine = false;
            inHead = false;
            inRequestLine = false;
            afterLf = false;
            afterLfCr = false;
            nameMatched = -1;
        }

        @Override
        public boolean process(byte b) {
            if (!inHead) {
                if (b == '\r' || b == '\n') {
                    leading++;
                    return true;
                }
                inHead = true;
                inRequestLine = true;
            }
            if (inRequestLine) {
                if (b == '\n') {
                    inRequestLine = false;
                } else if ((b >= 0 && b < 0x20 && b != '\r') || b == 0x7f) {
                    controlInRequestLine = true;
                    return false;
                }
            }
            if (nameMatched >= 0) {
                byte expected = CONTENT_LENGTH[nameMatched];
                byte folded = expected >= 'a' && expected <= 'z' ? (byte) (b | 0x20) : b;
                if (folded != expected) {
                    nameMatched = -1;
                } else if (++nameMatched == CONTENT_LENGTH.length) {
                    contentLengths++;
                    nameMatched = -1;
                }
            }
            if (afterLf) {
                afterLf = false;
                if (b == '\n') {
                    return false; // LF LF: end of head
                }
                if (b == '\r') {
                    afterLfCr = true;
                    return true;
                }
                if (b == ' ' || b == '\t') {
                    obsFold = true;
                    return false;
                }
                nameMatched = (b | 0x20) == 'c' ? 1 : -1; // a field line starts
                return true;
            }
            if (afterLfCr) {
                afterLfCr = false;
                if (b == '\n') {
                    return false; // LF CR LF: end of head
                }
                return true;
            }
            if (b == '\n') {
                afterLf = true;
            }
            return true;
        }
    }
}
