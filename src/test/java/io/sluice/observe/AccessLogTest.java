package io.sluice.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.sluice.config.AccessLogConfig;
import io.sluice.exchange.Exchange;
import io.sluice.metrics.ProxyMetrics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AccessLogTest {
    private final ProxyMetrics metrics = new ProxyMetrics();

    private static Exchange exchange(int status) {
        Exchange ex = new Exchange(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/a\"b"),
                "rid-1", "10.0.0.7", "/a", true, System.nanoTime());
        ex.status(status);
        return ex;
    }

    private static AccessLogFormat.Line line() {
        return new AccessLogFormat.Line("main", 10, 20, 1_234_567, 0);
    }

    /** A disk that takes the first write and then hangs until released. */
    static final class StuckDisk extends OutputStream {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final ByteArrayOutputStream written = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (this) {
                written.write(b, off, len);
            }
        }
    }

    @Test
    void aStuckDiskNeverBlocksTheCallerAndDropsAreCounted() throws Exception {
        StuckDisk disk = new StuckDisk();
        AccessLogFormat format = new AccessLogFormat(AccessLogConfig.Format.JSON, AccessLogConfig.FIELDS);
        AccessLog log = new AccessLog(format, disk, 16, metrics.observed());
        log.log(exchange(200), line());
        log.log(exchange(200), line()); // may be in the writer's batch or queued
        // Fill the 64 KiB write buffer so the writer reaches the stuck disk.
        for (int i = 0; i < 200 && !disk.entered.await(1, TimeUnit.MILLISECONDS); i++) {
            log.log(exchange(200), line()); // one more line, until the writer is stuck in the disk
        }
        assertThat(disk.entered.await(60, TimeUnit.SECONDS)).isTrue();
        long droppedBefore = metrics.observed().accessLogDropped();
        int queuedBefore = log.queued();

        // 10,000 lines against a disk stuck until the release below: a log() that waited would never return.
        java.util.concurrent.CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 10_000; i++) {
                log.log(exchange(200), line());
            }
        }).get(60, TimeUnit.SECONDS);
        assertThat(log.queued()).isEqualTo(16);
        assertThat(metrics.observed().accessLogDropped() - droppedBefore).isEqualTo(10_000 - (16 - queuedBefore));
        disk.release.countDown();
        log.close();
        assertThat(disk.written.toString()).contains("\"request_id\":\"rid-1\"");
    }

    @Test
    void jsonEscapesAndOrdersFields() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AccessLogFormat format = new AccessLogFormat(AccessLogConfig.Format.JSON,
                java.util.List.of("request_id", "uri", "status", "duration_ms", "upstream_connect_ms", "attempts"));
        String s = format.format(exchange(503), line());
        assertThat(s).isEqualTo("{\"request_id\":\"rid-1\",\"uri\":\"/a\\\"b\",\"status\":503,"
                + "\"duration_ms\":1.234,\"upstream_connect_ms\":null,\"attempts\":0}");
        out.close();
    }

    @Test
    void combinedLineAsApacheWritesIt() {
        AccessLogFormat format = new AccessLogFormat(AccessLogConfig.Format.COMBINED, java.util.List.of("route", "attempts"));
        Exchange ex = exchange(0); // the client left before an answer
        assertThat(format.format(ex, line())).isEqualTo(
                "10.0.0.7 - - [01/Jan/1970:00:00:00 +0000] \"GET /a\\\"b HTTP/1.1\" 499 20 \"-\" \"-\" route=- attempts=0");
    }

    @Test
    void jsonIsValidUtf8AsciiWhateverTheRequestBytes() throws Exception {
        // request heads arrive one char per byte: "café" in UTF-8 is c a f 0xC3 0xA9
        StringBuilder sb = new StringBuilder();
        AccessLogFormat.escapeJson(sb, "/caf\u00c3\u00a9?q=\u00f0\u009f\u0098\u0080");
        assertThat(sb.toString()).isEqualTo("/caf\\u00e9?q=\\ud83d\\ude00");
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertThat(json.readTree("\"" + sb + "\"").asText()).isEqualTo("/caf\u00e9?q=\ud83d\ude00");

        sb.setLength(0); // bytes that are not UTF-8 (Latin-1 é, a lone continuation, an overlong '/'): Latin-1
        AccessLogFormat.escapeJson(sb, "\u00e9\u00a9\u00c0\u00af\"\\\u0001\u007f");
        assertThat(sb.toString()).isEqualTo("\\u00e9\\u00a9\\u00c0\\u00af\\\"\\\\\\u0001\\u007f");
        assertThat(json.readTree("\"" + sb + "\"").asText()).isEqualTo("\u00e9\u00a9\u00c0\u00af\"\\\u0001\u007f");

        sb.setLength(0); // names from the configuration are real strings
        AccessLogFormat.escapeJson(sb, "\u65e5\u672c");
        assertThat(sb.toString()).isEqualTo("\\u65e5\\u672c");
        assertThat(sb.chars().allMatch(c -> c < 0x80)).isTrue();
    }
}
