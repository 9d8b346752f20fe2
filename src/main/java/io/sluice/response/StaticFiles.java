package io.sluice.response;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.stream.ChunkedNioFile;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Date;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves files under one root for a {@code static:} route, the way nginx's static module does: GET and
 * HEAD, {@code index.html} for a directory (no listings), a 301 to add the slash to a directory, validators
 * (Last-Modified, weak ETag) with 304s, and a single byte range. The body goes out zero-copy as a
 * {@link DefaultFileRegion}.
 *
 * <p>Containment has two guards: {@link StaticPath} decodes and resolves dot-segments before anything
 * touches the file system (so no encoded or plain {@code ..} climbs above the root), and the file's real
 * path, symlinks resolved, must lie under the root's real path. Symlinks that stay inside the root are
 * followed. Left open: a directory inside the root swapped for an outside symlink between the check and
 * the open (the last component is opened with NOFOLLOW_LINKS, so only intermediate directories could race).
 *
 * <p>Threading: {@link #serve} runs on the channel's event loop; the file-attribute reads and the open are
 * short blocking calls there, as in nginx. Instances are immutable and shared by all workers.
 */
public final class StaticFiles {
    /**
     * What the caller does to a response on its way out: finishes its head ({@link #accept}, called just before
     * it is written) and, when response body filters run ({@link #body} not null), passes each body part through
     * them. Then the file goes in chunks through the pipeline, never straight from the file to the socket.
     */
    public interface Decorator extends Consumer<HttpResponse> {
        default java.util.function.UnaryOperator<io.netty.handler.codec.http.HttpContent> body() {
            return null;
        }
    }

    private static final Logger log = LoggerFactory.getLogger(StaticFiles.class);

    private static final String INDEX = "index.html";
    private static final String ALLOW = "GET, HEAD";
    private static final String TEXT_PLAIN = "text/plain; charset=utf-8";

    private final Path root;

    public StaticFiles(Path root) {
        this.root = Objects.requireNonNull(root, "root");
    }

    public Path root() {
        return root;
    }

    /**
     * Answers {@code request} with the file at {@code path} (the request path after strip_prefix, without
     * the query, still percent-encoded) under the root.
     *
     * @param decorate called on the response head just before it is written (adds X-Request-ID, the
     *                 route's response headers, Connection: close)
     * @return the future of the response's last write
     */
    public ChannelFuture serve(ChannelHandlerContext ctx, HttpRequest request, String path,
                               Decorator decorate) {
        Objects.requireNonNull(decorate, "decorate");
        HttpMethod method = request.method();
        boolean head = HttpMethod.HEAD.equals(method);
        if (!head && !HttpMethod.GET.equals(method)) {
            FullHttpResponse reply = text(HttpResponseStatus.METHOD_NOT_ALLOWED, false);
            reply.headers().set(HttpHeaderNames.ALLOW, ALLOW);
            return send(ctx, reply, decorate);
        }
        StaticPath target;
        try {
            target = StaticPath.parse(path);
        } catch (IllegalArgumentException e) {
            log.debug("400 for static path: {}", e.getMessage());
            return send(ctx, text(HttpResponseStatus.BAD_REQUEST, head), decorate);
        }
        try {
            Path rootReal = root.toRealPath();
            Path file = rootReal;
            for (String segment : target.segments()) {
                file = file.resolve(segment);
            }
            file = contained(file, rootReal);
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            if (attributes.isDirectory()) {
                if (!target.directoryForm()) {
                    return send(ctx, redirectToSlash(request.uri(), head), decorate);
                }
                file = contained(file.resolve(INDEX), rootReal);
                attributes = Files.readAttributes(file, BasicFileAttributes.class);
            } else if (target.directoryForm()) {
                throw new NoSuchFileException(file + "/"); // "/file.txt/" names no directory
            }
            if (!attributes.isRegularFile()) {
                throw new NoSuchFileException(file.toString()); // a directory named index.html, a FIFO, ...
            }
            return serveFile(ctx, request, head, file, attributes, decorate);
        } catch (InvalidPathException e) {
            log.debug("400 for static path {}: {}", path, e.getMessage());
            return send(ctx, text(HttpResponseStatus.BAD_REQUEST, head), decorate);
        } catch (IOException e) {
            HttpResponseStatus status = statusFor(e);
            if (status == HttpResponseStatus.INTERNAL_SERVER_ERROR) {
                log.warn("static file {} under {} failed", path, root, e);
            }
            return send(ctx, text(status, head), decorate);
        }
    }

    /** The real path of {@code file}; NoSuchFileException when it (through a symlink) lies outside the root. */
    private static Path contained(Path file, Path rootReal) throws IOException {
        Path real = file.toRealPath();
        if (!real.startsWith(rootReal)) {
            log.debug("{} resolves to {}, outside the root {}", file, real, rootReal);
            throw new NoSuchFileException(file.toString());
        }
        return real;
    }

    private static HttpResponseStatus statusFor(IOException e) {
        if (e instanceof NoSuchFileException || e instanceof NotDirectoryException) {
            return HttpResponseStatus.NOT_FOUND;
        }
        if (e instanceof AccessDeniedException) {
            return HttpResponseStatus.FORBIDDEN;
        }
        if (e instanceof FileSystemException) {
            return HttpResponseStatus.NOT_FOUND; // a symlink loop, a name too long: nothing to serve there
        }
        return HttpResponseStatus.INTERNAL_SERVER_ERROR;
    }

    private ChannelFuture serveFile(ChannelHandlerContext ctx, HttpRequest request, boolean head, Path file,
                                    BasicFileAttributes attributes, Decorator decorate)
            throws IOException {
        long size = attributes.size();
        long modifiedMillis = attributes.lastModifiedTime().toMillis();
        long modifiedSecond = Math.floorDiv(modifiedMillis, 1000L);
        String etag = "W/\"" + Long.toHexString(size) + "-" + Long.toHexString(modifiedMillis) + "\"";
        String lastModified = DateFormatter.format(new Date(modifiedSecond * 1000L));

        HttpHeaders requestHeaders = request.headers();
        // RFC 9110 §13.2.2: If-Match, else If-Unmodified-Since, before If-None-Match / If-Modified-Since
        if (Conditionals.preconditionFailed(requestHeaders.contains(HttpHeaderNames.IF_MATCH)
                        ? requestHeaders.getAll(HttpHeaderNames.IF_MATCH) : java.util.List.of(),
                requestHeaders.get(HttpHeaderNames.IF_UNMODIFIED_SINCE), etag, modifiedSecond * 1000L)) {
            return send(ctx, text(HttpResponseStatus.PRECONDITION_FAILED, head), decorate);
        }
        if (Conditionals.notModified(requestHeaders.contains(HttpHeaderNames.IF_NONE_MATCH)
                        ? requestHeaders.getAll(HttpHeaderNames.IF_NONE_MATCH) : java.util.List.of(),
                requestHeaders.get(HttpHeaderNames.IF_MODIFIED_SINCE), etag, modifiedSecond * 1000L)) {
            FullHttpResponse reply = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.NOT_MODIFIED, Unpooled.EMPTY_BUFFER);
            reply.headers()
                    .set(HttpHeaderNames.DATE, DateFormatter.format(new Date()))
                    .set(HttpHeaderNames.ETAG, etag)
                    .set(HttpHeaderNames.LAST_MODIFIED, lastModified);
            return send(ctx, reply, decorate);
        }

        // Range is defined for GET only (RFC 9110 §14.2): HEAD gets the 200 headers.
        ByteRange.Request range = !head && Conditionals.ifRangeHolds(requestHeaders.get(HttpHeaderNames.IF_RANGE), etag,
                modifiedSecond * 1000L)
                ? ByteRange.parse(requestHeaders.get(HttpHeaderNames.RANGE), size)
                : ByteRange.Request.IGNORE;
        if (range.kind() == ByteRange.Kind.UNSATISFIABLE) {
            FullHttpResponse reply = text(HttpResponseStatus.REQUESTED_RANGE_NOT_SATISFIABLE, false);
            reply.headers()
                    .set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + size)
                    .set(HttpHeaderNames.ACCEPT_RANGES, "bytes");
            return send(ctx, reply, decorate);
        }
        HttpResponseStatus status = HttpResponseStatus.OK;
        long first = 0;
        long length = size;
        if (range.kind() == ByteRange.Kind.PARTIAL) {
            status = HttpResponseStatus.PARTIAL_CONTENT;
            first = range.range().first();
            length = range.range().length();
        }

        HttpResponse response = head || length == 0
                ? new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER)
                : new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        response.headers()
                .set(HttpHeaderNames.DATE, DateFormatter.format(new Date()))
                .set(HttpHeaderNames.CONTENT_TYPE, MediaTypes.forFileName(file.getFileName().toString()))
                .set(HttpHeaderNames.CONTENT_LENGTH, length)
                .set(HttpHeaderNames.LAST_MODIFIED, lastModified)
                .set(HttpHeaderNames.ETAG, etag)
                .set(HttpHeaderNames.ACCEPT_RANGES, "bytes");
        if (status == HttpResponseStatus.PARTIAL_CONTENT) {
            response.headers().set(HttpHeaderNames.CONTENT_RANGE,
                    "bytes " + first + "-" + (first + length - 1) + "/" + size);
        }
        if (response instanceof FullHttpResponse full) {
            return send(ctx, full, decorate);
        }

        // Opened before anything is written, so a failure here still gets its own status. The region owns
        // the channel and closes it when it is released: after the transfer, or when the write fails.
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        java.util.function.UnaryOperator<io.netty.handler.codec.http.HttpContent> body = decorate.body();
        if (body != null || !zeroCopy(ctx)) {
            // TLS or an h2 stream: the bytes must pass through the pipeline, in chunks (ChunkedWriteHandler)
            ChunkedNioFile chunks = new TruncationCheckedFile(channel, first, length);
            try {
                decorate.accept(response);
            } catch (RuntimeException e) {
                channel.close();
                throw e;
            }
            if (ctx.pipeline().get(ChunkedWriteHandler.class) == null) {
                // h2 streams get it only when they serve a file: on every other stream it would be one more
                // handler to create and one more hop for each write and flush
                ctx.pipeline().addBefore(ctx.name(), "chunked", new ChunkedWriteHandler());
            }
            ctx.write(response);
            HttpChunkedInput input = new HttpChunkedInput(chunks);
            ChannelFuture last = ctx.writeAndFlush(body == null ? input : new FilteredChunks(input, body));
            last.addListener(f -> {
                if (!f.isSuccess()) {
                    // as with the region below: Content-Length was promised, so a short body ends the connection
                    // (on h2 and h3, the stream)
                    log.debug("sending {} failed", file, f.cause());
                    ctx.channel().close();
                }
            });
            return last;
        }
        DefaultFileRegion region = new DefaultFileRegion(channel, first, length);
        try {
            decorate.accept(response);
        } catch (RuntimeException e) {
            region.release();
            throw e;
        }
        ctx.write(response);
        ctx.write(region).addListener(f -> {
            if (!f.isSuccess()) {
                // Content-Length was promised; a short body (file truncated meanwhile) must end the connection.
                log.debug("sending {} failed", file, f.cause());
                ctx.channel().close();
            }
        });
        return ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    /** A file region can go straight to the socket: plain TCP, no TLS, not an h2 or h3 (QUIC) stream. */
    private static boolean zeroCopy(ChannelHandlerContext ctx) {
        return ctx.channel() instanceof SocketChannel && ctx.pipeline().get(SslHandler.class) == null;
    }

    /** 301 to the same request-target with a slash after the path, query kept. */
    private static FullHttpResponse redirectToSlash(String uri, boolean head) {
        int query = uri.indexOf('?');
        String location = query < 0 ? uri + "/" : uri.substring(0, query) + "/" + uri.substring(query);
        if (location.startsWith("//")) {
            // "//evil.example/dir" would be a protocol-relative redirect to another host
            location = "/" + location.replaceFirst("^/+", "");
        }
        FullHttpResponse reply = text(HttpResponseStatus.MOVED_PERMANENTLY, head);
        reply.headers().set(HttpHeaderNames.LOCATION, location);
        return reply;
    }

    /**
     * A short plain-text answer such as {@code 404 Not Found}; for HEAD the same headers without the body.
     */
    private static FullHttpResponse text(HttpResponseStatus status, boolean head) {
        byte[] body = (status.code() + " " + status.reasonPhrase() + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuf content = head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body);
        FullHttpResponse reply = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
        reply.headers()
                .set(HttpHeaderNames.DATE, DateFormatter.format(new Date()))
                .set(HttpHeaderNames.CONTENT_TYPE, TEXT_PLAIN)
                .set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return reply;
    }

    private static ChannelFuture send(ChannelHandlerContext ctx, FullHttpResponse reply,
                                      Decorator decorate) {
        try {
            decorate.accept(reply);
        } catch (RuntimeException e) {
            reply.release();
            throw e;
        }
        java.util.function.UnaryOperator<io.netty.handler.codec.http.HttpContent> body = decorate.body();
        if (body == null) {
            return ctx.writeAndFlush(reply);
        }
        ctx.write(new DefaultHttpResponse(reply.protocolVersion(), reply.status(), reply.headers()));
        return ctx.writeAndFlush(body.apply(new io.netty.handler.codec.http.DefaultLastHttpContent(reply.content())));
    }

    /**
     * A {@link ChunkedNioFile} that fails when the file ends before the promised length (it got shorter while
     * being sent), as nginx does ("file was truncated"): Netty's returns an empty chunk there without moving on
     * and never reaches its end, so ChunkedWriteHandler would write empty chunks forever on the event loop.
     * The exception fails the write, and the connection (or stream) is closed.
     */
    private static final class TruncationCheckedFile extends ChunkedNioFile {
        TruncationCheckedFile(FileChannel channel, long offset, long length) throws IOException {
            super(channel, offset, length, 16 * 1024);
        }

        @Deprecated
        @Override
        public ByteBuf readChunk(ChannelHandlerContext ctx) throws Exception {
            return readChunk(ctx.alloc());
        }

        @Override
        public ByteBuf readChunk(io.netty.buffer.ByteBufAllocator allocator) throws Exception {
            ByteBuf chunk = super.readChunk(allocator);
            if (chunk != null && !chunk.isReadable() && !isEndOfInput()) {
                chunk.release();
                throw new IOException("file was truncated: " + (endOffset() - currentOffset())
                        + " bytes short of the promised length");
            }
            return chunk;
        }
    }

    /** A file's chunks through the response body filters, as the chunked writer pulls them. */
    private static final class FilteredChunks implements io.netty.handler.stream.ChunkedInput<io.netty.handler.codec.http.HttpContent> {
        private final HttpChunkedInput in;
        private final java.util.function.UnaryOperator<io.netty.handler.codec.http.HttpContent> body;

        FilteredChunks(HttpChunkedInput in, java.util.function.UnaryOperator<io.netty.handler.codec.http.HttpContent> body) {
            this.in = in;
            this.body = body;
        }

        @Override
        public boolean isEndOfInput() throws Exception {
            return in.isEndOfInput();
        }

        @Override
        public void close() throws Exception {
            in.close();
        }

        @Deprecated
        @Override
        public io.netty.handler.codec.http.HttpContent readChunk(ChannelHandlerContext ctx) throws Exception {
            return readChunk(ctx.alloc());
        }

        @Override
        public io.netty.handler.codec.http.HttpContent readChunk(io.netty.buffer.ByteBufAllocator allocator)
                throws Exception {
            io.netty.handler.codec.http.HttpContent part = in.readChunk(allocator);
            return part == null ? null : body.apply(part);
        }

        @Override
        public long length() {
            return -1; // the filters may change it
        }

        @Override
        public long progress() {
            return in.progress();
        }
    }
}
