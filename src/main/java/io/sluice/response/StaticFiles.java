package io.sluice.response;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import java.nio.file.Path;
import java.util.function.Consumer;

/** Serves files under one root for a {@code static:} route. */
public final class StaticFiles {
    private final Path root;

    public StaticFiles(Path root) {
        this.root = root;
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
                               Consumer<HttpResponse> decorate) {
        throw new UnsupportedOperationException("TODO");
    }
}
