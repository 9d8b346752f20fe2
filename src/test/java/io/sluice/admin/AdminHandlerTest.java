package io.sluice.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.sluice.metrics.ProxyMetrics;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The admin pipeline on an {@link EmbeddedChannel}: what goes over the wire, byte for byte. */
class AdminHandlerTest {

    private final EmbeddedChannel channel = new EmbeddedChannel(
            new HttpServerCodec(),
            new HttpObjectAggregator(AdminServer.MAX_REQUEST_BYTES),
            new AdminHandler(new ProxyMetrics().registry(), List::of));

    @AfterEach
    void finish() {
        channel.finishAndReleaseAll();
    }

    @Test
    void malformedRequestIs400AndCloses() {
        String response = exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 400 Bad Request\r\n").contains("connection: close\r\n");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void badPercentEscapeIs400() {
        String response = exchange("GET /healthz%zz HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 400 Bad Request\r\n");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void keepAliveByDefaultInHttp11() {
        String first = exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        String second = exchange("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(first).startsWith("HTTP/1.1 200 OK\r\n").contains("content-length: 3\r\n").endsWith("\r\n\r\nok\n");
        assertThat(second).startsWith("HTTP/1.1 404 Not Found\r\n");
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void connectionCloseIsHonoured() {
        String response = exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 200 OK\r\n").contains("connection: close\r\n");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void http10KeepAliveIsAnsweredWithKeepAlive() {
        String response = exchange("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.0 200 OK\r\n").contains("connection: keep-alive\r\n");
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void http10WithoutKeepAliveCloses() {
        exchange("GET /healthz HTTP/1.0\r\n\r\n");

        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void headOfMetricsHasNoBody() {
        String response = exchange("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\n").containsPattern("content-length: [1-9]");
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void oversizedBodyIsRefused() {
        String response = exchange("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: "
                + (AdminServer.MAX_REQUEST_BYTES + 1) + "\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 413 ");
    }

    private String exchange(String request) {
        channel.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
        StringBuilder out = new StringBuilder();
        for (ByteBuf buf; (buf = channel.readOutbound()) != null; ) {
            try {
                out.append(buf.toString(StandardCharsets.UTF_8));
            } finally {
                buf.release();
            }
        }
        return out.toString();
    }
}
